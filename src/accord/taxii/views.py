"""TAXII UI: the collections a person may use, each with its URL and how to connect to it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accord.core.ui import AuthedRequest, found
from accord.taxii import selectors
from accord.taxii.api import API_ROOT, MEDIA_TYPE

__all__ = ["collection_detail", "collection_list"]


@login_required
def collection_list(request: AuthedRequest) -> HttpResponse:
    """The TAXII server's address and the collections this person may read or write."""
    found = selectors.collection_list(principal=request.user)
    return render(
        request,
        "taxii/collection_list.html",
        {"collections": found, "discovery": request.build_absolute_uri(reverse("taxii:discovery"))},
    )


@login_required
def collection_detail(request: AuthedRequest, collection_id: str) -> HttpResponse:
    """One collection: its URL, what it holds, and a ``taxii2-client`` example to connect."""
    access = found(lambda: selectors.collection_get(principal=request.user, collection_id=collection_id))
    url = request.build_absolute_uri(reverse("taxii:collection", args=[API_ROOT, access.collection.pk]))
    return render(
        request,
        "taxii/collection_detail.html",
        {
            "access": access,
            "collection": access.collection,
            "url": url,
            "discovery": request.build_absolute_uri(reverse("taxii:discovery")),
            "media_type": MEDIA_TYPE,
            "username": request.user.username,
            "tokens_url": reverse("web:token-list"),
        },
    )
