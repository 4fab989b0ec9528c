"""Console URL patterns by area. console/urls_console.py includes them all under one namespace."""

WORKSPACE = "w/<str:workspace_id>/"
STORE = WORKSPACE + "stores/<str:store_id>/"
MEMORY = STORE + "memories/<str:memory_id>/"
