"""The URL layout the OpenAPI schema describes: each client's API under /clients/{client}/.

Only used to generate schema.yml (`make schema`); requests are routed by the tenant middleware.
"""

from django.urls import include, path

urlpatterns = [
    path("clients/<slug:client>/", include("config.urls_tenant")),
]
