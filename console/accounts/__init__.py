"""Accounts: who may sign in, how they prove it, and the tokens machines use."""
