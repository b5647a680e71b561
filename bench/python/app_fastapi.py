"""The benchmark shop API in FastAPI: the contract every server of the benchmark serves.

Operations (their operationIds are the MCP tool names):
  GET  /products/{product_id}   get_product   -> Product (404 below 1)
  POST /orders                  create_order  OrderIn -> OrderOut ("status": "created")
  GET  /search?q=&limit=50      search        -> list of SearchHit ("<q> result <n>")
The Rust shop (crates/shop) answers the same paths with the same JSON.
"""
from __future__ import annotations

import itertools
from typing import List, Optional

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

app = FastAPI(title="Shop API", version="1.0.0", description="The toolgate benchmark shop")


class Product(BaseModel):
    id: int
    name: str
    price: float
    currency: str = "EUR"
    in_stock: bool
    tags: List[str] = []


class OrderItem(BaseModel):
    product_id: int = Field(..., ge=1)
    quantity: int = Field(1, ge=1, le=100)


class OrderIn(BaseModel):
    customer_email: str
    items: List[OrderItem]
    note: Optional[str] = None


class OrderOut(BaseModel):
    order_id: int
    status: str
    total: float
    item_count: int


class SearchHit(BaseModel):
    id: int
    name: str
    score: float


def make_product(pid: int) -> Product:
    return Product(
        id=pid,
        name=f"Product {pid}",
        price=round(9.99 + (pid % 100) * 0.5, 2),
        in_stock=pid % 7 != 0,
        tags=["demo", "bench", f"cat-{pid % 5}"],
    )


@app.get("/products/{product_id}", response_model=Product, operation_id="get_product",
         summary="Get one product by id")
async def get_product(product_id: int) -> Product:
    if product_id < 1:
        raise HTTPException(status_code=404, detail="product not found")
    return make_product(product_id)


_orders = itertools.count(1)


@app.post("/orders", response_model=OrderOut, operation_id="create_order", summary="Create an order")
async def create_order(order: OrderIn) -> OrderOut:
    total = sum(make_product(i.product_id).price * i.quantity for i in order.items)
    return OrderOut(order_id=next(_orders), status="created", total=round(total, 2),
                    item_count=sum(i.quantity for i in order.items))


@app.get("/search", response_model=List[SearchHit], operation_id="search", summary="Search products")
async def search(q: str = Query(..., min_length=1),
                 limit: int = Query(50, ge=1, le=200)) -> List[SearchHit]:
    return [SearchHit(id=n, name=f"{q} result {n}", score=round(1.0 - (n - 1) / (limit + 1), 4))
            for n in range(1, limit + 1)]
