"""Identity: JWT verification, the acting principal, roles and jurisdiction over the tree."""
