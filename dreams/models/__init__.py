from dreams.models.sessions import *  # noqa: F401,F403
