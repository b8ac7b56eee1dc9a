"""Repositories, each constructed for ONE tenant: the tenant scope is never a call argument."""
