"""The merged API documents: OpenAPI 3.1, interactive docs, AsyncAPI 3.0."""

from fastapi import APIRouter

router = APIRouter()
