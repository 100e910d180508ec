"""The PM's weekly status update: a form quick on a phone, what APM already knows, and the one write."""
