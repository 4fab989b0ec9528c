from dreams.models.credentials import *  # noqa: F401,F403
from dreams.models.dreams import *  # noqa: F401,F403
from dreams.models.sessions import *  # noqa: F401,F403
