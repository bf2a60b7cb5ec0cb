"""Odd-but-valid inputs that real shops send (issue 11), as sandbox documents.

Every value below is allowed by Shoptet's API (``../shared/docs/shoptet-api.md``: strings of
up to 36 characters for GUIDs with no pattern, free-text e-mails, order codes as strings,
``changeTime`` nullable, ``+0200`` offsets) and each one broke an earlier version of the hub.
``hub sandbox serve --odd-inputs`` and ``POST /_sandbox/odd-inputs`` place them in a shop
(``Sandbox.put``), so the demo and the tests can show what the hub does with them; see
``docs/data-quality.md``.

The documents are built from a generated order / customer of the shop (the full Shoptet
shape) with the odd fields replaced, so only the oddity differs from ordinary data.
"""

from __future__ import annotations

import copy
from typing import Any

from runner.sandbox.formats import money, price_block

# the three spellings of one guest's e-mail (item 1): one customer, 3 orders, 1497.00 CZK
GUEST_EMAILS = ("Petr.Novak@Example.cz", "petr.novak@example.cz ", "\tpetr.novak@example.cz")
UPPER_CASE_CUSTOMER_GUID = "A1B2C3D4-5B7D-11EE-8C99-0242AC120002"


def _order(
    template: dict[str, Any],
    code: str,
    created: str,
    *,
    email: str | None = None,
    customer_guid: str | None = None,
    total: str = "499.00",
    items: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A copy of a generated order with a new code, creation time, e-mail and one product line of total CZK."""
    order = copy.deepcopy(template)
    cents = int(total.replace(".", ""))
    block = price_block(cents, 21)
    line = copy.deepcopy(next(i for i in template["items"] if i["itemType"] == "product"))
    line.update(
        itemId=1,
        amount="1.000",
        amountCompleted="1.000",
        itemPrice=dict(block),
        unitPrice=dict(block),
        displayPrices=[dict(block)],
    )
    order.update(
        code=code,
        guid=None,
        creationTime=created,
        changeTime=created,
        email=email,
        customerGuid=customer_guid,
        items=items if items is not None else [line],
        paymentMethods=[],
        shippings=[],
    )
    order["price"].update(
        withVat=block["withVat"],
        withoutVat=block["withoutVat"],
        vat=block["vat"],
        toPay=block["withVat"],
        currencyCode="CZK",
        exchangeRate="1.00000000",
    )
    return order


def odd_orders(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's order examples, built on a generated order (``template``)."""
    product = next(i for i in template["items"] if i["itemType"] == "product")
    orders = [
        # 1. one guest, three spellings of the e-mail
        *(
            _order(template, f"ODD-EMAIL-{n}", f"2026-03-1{n}T10:15:00+0100", email=email)
            for n, email in enumerate(GUEST_EMAILS, 1)
        ),
        # 2. an empty customerGuid is a guest order; a productGuid that is no UUID
        _order(template, "ODD-GUID-1", "2026-03-14T10:15:00+0100", email="host@example.cz", customer_guid=""),
    ]
    odd_line = copy.deepcopy(product)
    block = price_block(49900, 21)
    odd_line.update(
        itemId=1,
        productGuid="12345",
        amount="1.000",
        itemPrice=dict(block),
        unitPrice=dict(block),
        displayPrices=[dict(block)],
    )
    orders.append(_order(template, "ODD-GUID-2", "2026-03-15T10:15:00+0100", email="guid@example.cz", items=[odd_line]))
    # 3. a mistyped year next to the real one
    orders.append(_order(template, "ODD-DATE-2026", "2026-03-10T10:15:00+0100", email="date@example.cz"))
    orders.append(_order(template, "ODD-DATE-2206", "2206-03-10T10:15:00+0100", email="date@example.cz"))
    # 6. half an hour into April in Prague is still March in UTC; with a discount line
    april = _order(template, "ODD-TZ-1", "2026-04-01T00:30:00+0200", email="tz@example.cz")
    discount = {
        **copy.deepcopy(product),
        "itemId": 2,
        "itemType": "discount-coupon",
        "productType": None,
        "productGuid": None,
        "code": "SLEVA10",
        "ean": None,
        "name": "Sleva 10 %",
        "amount": "1.000",
        "itemPrice": price_block(-4990, 21),
        "unitPrice": price_block(-4990, 21),
        "displayPrices": [price_block(-4990, 21)],
        "purchasePrice": None,
    }
    april["items"].append(discount)
    april["price"].update(withVat=money(49900 - 4990), toPay=money(49900 - 4990))
    orders.append(april)
    # 8. an order code that is not a number
    orders.append(_order(template, "E-2025-00488", "2025-11-20T09:00:00+0100", email="code@example.cz"))
    return orders


def odd_customers(template: dict[str, Any]) -> list[dict[str, Any]]:
    """A customer whose GUID comes in upper case (item 2), built on a generated customer."""
    customer = copy.deepcopy(template)
    customer["guid"] = UPPER_CASE_CUSTOMER_GUID
    customer["creationTime"] = customer["changeTime"] = "2026-03-10T10:15:00+0100"
    for account in customer.get("accounts") or []:
        account["email"] = "upper.guid@example.cz" if account.get("mainAccount") else account.get("email")
    return [customer]
