"""The recommendation application: ranking items for users (NCF, matrix factorisation, two-tower retrieval)."""
