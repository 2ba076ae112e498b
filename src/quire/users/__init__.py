"""Users (tag Users): people who may sign in to the dashboard, members of one or more accounts.

Created by ``quire users create`` (a password hashed with scrypt, ``passwords``); read, re-assigned and
removed through ``/users`` by an account, which sees only its own members (docs/accounts.md).
"""
