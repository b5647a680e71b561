"""A small FastAPI app for toolgate's gateway interop test (tests/interop/tests/fastapi_gateway.rs).

It covers the shapes a real FastAPI document has: path, query, header and cookie parameters;
a JSON body with nested models; a form; a file upload; a list response; a 204 delete; a 404
error; an enum; a deprecated route; a router with a prefix; a plain-text response. Every answer
is deterministic (writes are upserts keyed by the caller's data), so the test can call each
operation twice, once through toolgate and once directly, and compare the two answers.

Run: uvicorn app:app --app-dir tests/interop/fastapi --port 8000
"""
from __future__ import annotations

import hashlib
from enum import Enum
from typing import Annotated, Optional

from fastapi import APIRouter, Cookie, FastAPI, File, Form, Header, HTTPException, Query, Response, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

app = FastAPI(title="toolgate interop shop", version="1.0.0",
              description="A FastAPI app served through toolgate in the interop tests.")


class Color(str, Enum):
    red = "red"
    green = "green"
    blue = "blue"


class Dimensions(BaseModel):
    width_cm: float = Field(gt=0, description="Width in centimetres")
    height_cm: float = Field(gt=0, description="Height in centimetres")


class Address(BaseModel):
    city: str
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 code")


class Supplier(BaseModel):
    name: str
    address: Address


class ItemIn(BaseModel):
    """An item to create or replace."""

    sku: str = Field(min_length=1, max_length=32, description="Stock keeping unit (the item's key)")
    name: str
    price: float = Field(ge=0)
    color: Color = Color.red
    tags: list[str] = []
    dimensions: Optional[Dimensions] = None
    supplier: Optional[Supplier] = None


class Item(ItemIn):
    """An item as stored."""

    id: int
    price_with_tax: float


class Page(BaseModel):
    total: int
    items: list[Item]


def _store(item_id: int, data: ItemIn) -> Item:
    item = Item(id=item_id, price_with_tax=round(data.price * 1.2, 2), **data.model_dump())
    ITEMS[item_id] = item
    return item


ITEMS: dict[int, Item] = {}
for _i, (_name, _color) in enumerate(
    [("Widget", Color.red), ("Gadget", Color.green), ("Doohickey", Color.blue), ("Gizmo", Color.green),
     ("Thingamajig", Color.red), ("Whatsit", Color.blue)],
    start=1,
):
    _store(_i, ItemIn(sku=f"SKU-{_i}", name=_name, price=round(2.5 * _i, 2), color=_color,
                      tags=["seed", _color.value]))


def _id_for(sku: str) -> int:
    for item in ITEMS.values():
        if item.sku == sku:
            return item.id
    return 1000 + int(hashlib.sha256(sku.encode()).hexdigest()[:6], 16) % 9000


@app.get("/items", response_model=list[Item], tags=["items"], operation_id="list_items",
         summary="List items")
def list_items(
    limit: Annotated[int, Query(ge=1, le=100, description="At most this many")] = 10,
    color: Optional[Color] = None,
    tag: Annotated[list[str], Query(description="Keep items with all these tags")] = [],
):
    out = [i for i in sorted(ITEMS.values(), key=lambda i: i.id)
           if (color is None or i.color == color) and all(t in i.tags for t in tag)]
    return out[:limit]


@app.get("/items/search", response_model=Page, tags=["items"], operation_id="search_items",
         summary="Search items by name")
def search_items(q: Annotated[str, Query(min_length=1)], offset: int = 0, limit: int = 5):
    hits = [i for i in sorted(ITEMS.values(), key=lambda i: i.id) if q.lower() in i.name.lower()]
    return Page(total=len(hits), items=hits[offset:offset + limit])


@app.get("/items/{item_id}", response_model=Item, tags=["items"], operation_id="get_item",
         summary="Get an item", responses={404: {"description": "No such item"}})
def get_item(item_id: int):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail=f"Item {item_id} not found")
    return ITEMS[item_id]


@app.post("/items", response_model=Item, status_code=201, tags=["items"], operation_id="create_item",
          summary="Create or replace an item by SKU")
def create_item(item: ItemIn):
    return _store(_id_for(item.sku), item)


@app.put("/items/{item_id}", response_model=Item, tags=["items"], operation_id="replace_item",
         summary="Replace an item")
def replace_item(item_id: int, item: ItemIn):
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail=f"Item {item_id} not found")
    return _store(item_id, item)


@app.delete("/items/{item_id}", status_code=204, tags=["items"], operation_id="delete_item",
            summary="Delete an item")
def delete_item(item_id: int):
    if ITEMS.pop(item_id, None) is None:
        raise HTTPException(status_code=404, detail=f"Item {item_id} not found")
    return Response(status_code=204)


@app.get("/colors/{color}", tags=["meta"], operation_id="describe_color", summary="Describe a color")
def describe_color(color: Color) -> dict:
    rgb = {Color.red: "#ff0000", Color.green: "#00ff00", Color.blue: "#0000ff"}[color]
    return {"color": color.value, "rgb": rgb, "items": sorted(i.id for i in ITEMS.values() if i.color == color)}


@app.get("/whoami", tags=["meta"], operation_id="whoami",
         summary="Echo the request's header and cookie parameters")
def whoami(
    x_api_key: Annotated[str, Header(description="The caller's API key")],
    session_id: Annotated[Optional[str], Cookie()] = None,
    accept_language: Annotated[Optional[str], Header()] = None,
) -> dict:
    return {"api_key": x_api_key, "session_id": session_id, "accept_language": accept_language}


@app.post("/login", tags=["auth"], operation_id="login", summary="Log in with a form")
def login(
    username: Annotated[str, Form()],
    password: Annotated[str, Form(min_length=4)],
    remember: Annotated[bool, Form()] = False,
) -> dict:
    return {"username": username, "password_length": len(password), "remember": remember,
            "token": hashlib.sha256(f"{username}:{password}".encode()).hexdigest()[:16]}


@app.post("/files", tags=["files"], operation_id="upload_file", summary="Upload a file")
async def upload_file(
    file: Annotated[UploadFile, File(description="The file")],
    note: Annotated[str, Form()] = "",
) -> dict:
    data = await file.read()
    return {"filename": file.filename, "content_type": file.content_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "note": note}


@app.get("/report.txt", response_class=PlainTextResponse, tags=["meta"], summary="A plain-text report")
def text_report(title: str = "Inventory") -> str:
    lines = [f"{title}: {len(ITEMS)} items"] + [f"- {i.sku} {i.name}" for i in sorted(ITEMS.values(), key=lambda i: i.id)]
    return "\n".join(lines) + "\n"


@app.get("/legacy/items", deprecated=True, tags=["items"], operation_id="legacy_list_items",
         summary="Old listing (deprecated)")
def legacy_list_items() -> list[str]:
    return [i.sku for i in ITEMS.values()]


admin = APIRouter(prefix="/admin", tags=["admin"])


@admin.get("/stats", summary="Inventory statistics")
def admin_stats() -> dict:
    prices = [i.price for i in ITEMS.values()]
    by_color = {c.value: sum(1 for i in ITEMS.values() if i.color == c) for c in Color}
    return {"count": len(prices), "total_value": round(sum(prices), 2), "by_color": by_color}


@admin.get("/items/{item_id}/history", summary="An item's change history")
def item_history(item_id: int, since: Annotated[Optional[int], Query(ge=0)] = None) -> list[dict]:
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail=f"Item {item_id} not found")
    events = [{"version": v, "event": "created" if v == 1 else "updated"} for v in range(1, 4)]
    return [e for e in events if since is None or e["version"] > since]


app.include_router(admin)
