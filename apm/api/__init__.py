"""The REST API's shared mechanics: personal access tokens, authentication, the policy's permissions,
problem-details errors, pages, the per-token rate limit, conditional reads and the schema.

Each app exposes its endpoints from its own ``api.py`` (a URLconf of viewsets built on
:mod:`apm.api.viewsets`); ``apm/urls.py`` includes them under ``/api/v1/`` by name, so ``apm`` imports no app.
"""
