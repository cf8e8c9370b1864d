"""Pages (work in progress)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
