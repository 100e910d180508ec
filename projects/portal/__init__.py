"""The client portal: status pages for client contacts, and share links (issue 8)."""
