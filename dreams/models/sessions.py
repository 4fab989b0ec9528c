# Session and SessionEvent models (see dreams/sessions.py for the domain functions).
