"""Generic resources: versioned, soft-deletable records with a CRUD router built from a spec.

Domain-free: a service supplies its tables, schemas and rules in a `ResourceSpec`.
"""
