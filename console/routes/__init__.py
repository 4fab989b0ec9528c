"""Console URL patterns by area. console/urls_console.py includes them all under one namespace."""
