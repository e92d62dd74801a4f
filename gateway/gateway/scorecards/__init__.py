"""Scorecards of the creation campaign (DOMAIN.md rules 1–8) per community, street, district."""

from fastapi import APIRouter

router = APIRouter()
