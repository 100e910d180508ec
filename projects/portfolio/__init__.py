"""The portfolio: projects themselves (create, edit, point at a client), their list and page."""
