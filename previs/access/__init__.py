"""Who may do what: roles, actions and actors (permissions.py), and the studio's users file (users.py)."""
