"""Shoptet entity documents -> flat rows of the ingest.stage_* tables.

One function per entity takes a parsed document (an order as in ``data.order`` of the
detail endpoint or one line of an orders snapshot, a customer as ``data.customer``, a
product as the product detail's ``data``) and returns the tuples COPY writes. Values are
passed on as Shoptet sent them: money and amounts stay strings (PostgreSQL's numeric input
is exact), datetimes keep their ``+0200`` offsets (timestamptz input understands them).
Two kinds of value are normalised (runner/shoptet/normalize.py, the twins of the SQL
functions): e-mails (``core.normalize_email``) and GUIDs (``core.normalize_guid``).

Shape errors raise ``BadDocument`` naming the field; so does an entity's own key that is
not a GUID (a customer's or product's ``guid``: it is the primary key). Any other GUID field
that is not a GUID (``customerGuid``, ``items[].productGuid``, ``supplier.guid``, ...; the
spec types them as free strings) never costs the document: the field becomes null and a
``FieldWarning`` is appended to the caller's ``warnings`` list. A value PostgreSQL cannot
read (a malformed number or date) is found by COPY and reported by the importer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from runner.errors import HubError
from runner.shoptet.normalize import is_blank, normalize_email, normalize_guid

ITEM_TYPES = frozenset(
    (
        "product",
        "bazar",
        "service",
        "shipping",
        "billing",
        "discount-coupon",
        "volume-discount",
        "gift",
        "gift-certificate",
        "generic-item",
        "product-set",
        "product-set-item",
        "deposit",
    )
)

ORDER_COLUMNS = (
    "batch_id",
    "line_no",
    "code",
    "guid",
    "created_at",
    "changed_at",
    "status_id",
    "status_name",
    "source_id",
    "source_name",
    "email",
    "phone",
    "full_name",
    "company",
    "customer_guid",
    "cash_desk_order",
    "paid",
    "total_with_vat",
    "total_without_vat",
    "total_vat",
    "to_pay",
    "currency",
    "exchange_rate",
    "shipping_guid",
    "shipping_name",
    "payment_method_guid",
    "payment_method_name",
    "billing_method_id",
    "language",
    "vat_payer",
    "vat_mode",
    "stock_id",
    "billing_address",
    "delivery_address",
    "remark",
    "admin_url",
    "source_hash",
)
ITEM_COLUMNS = (
    "batch_id",
    "order_code",
    "item_id",
    "item_type",
    "product_type",
    "product_guid",
    "code",
    "ean",
    "name",
    "variant_name",
    "brand",
    "amount",
    "amount_unit",
    "amount_completed",
    "weight",
    "price_ratio",
    "unit_price_with_vat",
    "unit_price_without_vat",
    "total_with_vat",
    "total_without_vat",
    "total_vat",
    "vat_rate",
    "purchase_price",
    "status_id",
    "status_name",
    "supplier_name",
)
CUSTOMER_COLUMNS = (
    "batch_id",
    "line_no",
    "guid",
    "email",
    "full_name",
    "company",
    "phone",
    "customer_group",
    "price_list",
    "disabled_orders",
    "remark",
    "billing_address",
    "delivery_addresses",
    "accounts",
    "created_at",
    "changed_at",
    "source_hash",
)
PRODUCT_COLUMNS = (
    "batch_id",
    "line_no",
    "guid",
    "name",
    "type",
    "visibility",
    "brand_code",
    "brand_name",
    "supplier_guid",
    "supplier_name",
    "default_category_guid",
    "default_category_name",
    "url",
    "is_variant",
    "created_at",
    "changed_at",
    "xml_feed_name",
    "short_description",
    "description",
    "images",
    "categories",
    "descriptive_parameters",
    "flags",
    "meta_title",
    "meta_description",
    "additional_name",
    "texts",
    "language",
)
# a product detail read for a shop with other languages carries their texts under this key (the
# hub's own, not Shoptet's): {language: the detail read with ?language=} (runner/shoptet/sync.py
# fetch_entity); each becomes a texts-only row of stage_products in that language
LANGUAGE_TEXTS_KEY = "hub:languageTexts"
# the product text fields (Shoptet name -> stage_products column after name) read into catalog.product_texts
TEXT_FIELDS = ("shortDescription", "description", "metaTitle", "metaDescription", "additionalName", "xmlFeedName")
VARIANT_COLUMNS = (
    "batch_id",
    "product_guid",
    "code",
    "ean",
    "name",
    "stock",
    "unit",
    "price",
    "common_price",
    "purchase_price",
    "currency",
    "vat_rate",
    "including_vat",
    "visible",
    "availability",
    "min_stock_supply",
    "weight",
    "manufacturer_code",
    "parameters",
    "image",
    "mpn",
    "availability_when_sold_out",
    "action_price",
    "action_price_from",
    "action_price_to",
    "heureka_cpc",
    "heureka_feed_excluded",
    "heureka_cart_excluded",
    "zbozi_max_cpc",
    "zbozi_max_search_cpc",
    "zbozi_hidden",
)
# the product detail / snapshot sections (include=) the catalogue keeps: images, the category
# tree, descriptive and variant parameters (shoptet-api.md 4.4; feeds need them, docs/feeds.md)
PRODUCT_INCLUDE = "images,allCategories,descriptiveParameters,variantParameters,flags"

_SCALAR = (str, int, float)


class BadDocument(HubError, ValueError):
    """A document does not have the shape of the entity; the message names the field."""


@dataclass(frozen=True)
class FieldWarning:
    """One field of an otherwise good document was left out (stored as null)."""

    field: str  # as in the document: customerGuid, items[2].productGuid, supplier.guid
    message: str  # names the field and the value


def _guid(value: Any, field: str, warnings: list[FieldWarning]) -> str | None:
    """A GUID field (not the entity's key): its normalised text; None when absent or empty.
    A value that is not a GUID becomes None with a warning: it never costs the document."""
    if value is None:
        return None
    if isinstance(value, str):
        guid = normalize_guid(value)
        if guid is not None or is_blank(value):
            return guid
    warnings.append(
        FieldWarning(field, f"{field}: {value!r:.80} is not a GUID (8-4-4-4-12 hex digits); stored as null")
    )
    return None


def _key_guid(doc: dict[str, Any], entity: str) -> str:
    """The entity's own GUID (a customer's or product's key), normalised; BadDocument when it is
    missing or not a GUID (it is the primary key: there is nothing to store the row under)."""
    value = doc.get("guid")
    if value is None or (isinstance(value, str) and is_blank(value)):
        raise BadDocument(
            f"guid: a {entity} needs its GUID" + (f"; is this a {entity} at all?" if "guid" not in doc else "")
        )
    guid = normalize_guid(value) if isinstance(value, str) else None
    if guid is None:
        raise BadDocument(
            f"guid: {value!r:.80} is not a GUID (8-4-4-4-12 hex digits); it is the {entity}'s key, "
            "so the line cannot be imported"
        )
    return guid


def _obj(doc: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = doc.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise BadDocument(f"{where}{key}: expected an object or null, got {type(value).__name__}")


def _text(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise BadDocument(f"{field}: expected a string, got {type(value).__name__}")


def _num(value: Any, field: str) -> str | int | float | None:
    """A money / amount value: Shoptet sends strings ("21.00"); numbers are accepted as they are."""
    if value is None or (isinstance(value, _SCALAR) and not isinstance(value, bool)):
        return value if not isinstance(value, str) or value.strip() else None
    raise BadDocument(f"{field}: expected a number as a string, got {type(value).__name__}")


def _int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    raise BadDocument(f"{field}: expected an integer, got {value!r:.40}")


def _bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise BadDocument(f"{field}: expected true/false, got {value!r:.40}")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _list(doc: dict[str, Any], key: str, where: str) -> list[Any]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadDocument(f"{where}{key}: expected a list, got {type(value).__name__}")
    return value


def _require_dict(doc: Any, entity: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise BadDocument(f"expected a JSON object ({entity[:-1]}), got {type(doc).__name__}")
    return doc


def order_rows(
    doc: Any, batch_id: int, line_no: int, *, warnings: list[FieldWarning], source_hash: bytes | None = None
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(stage_orders row, stage_order_items rows) of one order document; GUID fields that are not
    GUIDs are appended to ``warnings``. ``source_hash``: the hash of the snapshot line (or None)."""
    doc = _require_dict(doc, "orders")
    code = doc.get("code")
    if not isinstance(code, str) or not code:
        raise BadDocument(
            "code: an order needs its code (a non-empty string)"
            + ("; is this an order at all?" if "code" not in doc else "")
        )
    status = _obj(doc, "status", "") or {}
    source = _obj(doc, "source", "") or {}
    price = _obj(doc, "price", "") or {}
    shipping = _obj(doc, "shipping", "") or {}
    payment = _obj(doc, "paymentMethod", "") or {}
    billing_method = _obj(doc, "billingMethod", "") or {}
    billing = _obj(doc, "billingAddress", "")
    order = (
        batch_id,
        line_no,
        code,
        _guid(doc.get("guid"), "guid", warnings),
        _text(doc.get("creationTime"), "creationTime"),
        _text(doc.get("changeTime"), "changeTime"),
        _int(status.get("id"), "status.id"),
        _text(status.get("name"), "status.name"),
        _int(source.get("id"), "source.id"),
        _text(source.get("name"), "source.name"),
        normalize_email(_text(doc.get("email"), "email")),
        _text(doc.get("phone"), "phone"),
        _text(doc.get("fullName") or (billing or {}).get("fullName"), "fullName"),
        _text(doc.get("company") or (billing or {}).get("company"), "company"),
        _guid(doc.get("customerGuid"), "customerGuid", warnings),
        _bool(doc.get("cashDeskOrder"), "cashDeskOrder"),
        _bool(doc.get("paid"), "paid"),
        _num(price.get("withVat"), "price.withVat"),
        _num(price.get("withoutVat"), "price.withoutVat"),
        _num(price.get("vat"), "price.vat"),
        _num(price.get("toPay"), "price.toPay"),
        _text(price.get("currencyCode"), "price.currencyCode"),
        _num(price.get("exchangeRate"), "price.exchangeRate"),
        _guid(shipping.get("guid"), "shipping.guid", warnings),
        _text(shipping.get("name"), "shipping.name"),
        _guid(payment.get("guid"), "paymentMethod.guid", warnings),
        _text(payment.get("name"), "paymentMethod.name"),
        _int(billing_method.get("id"), "billingMethod.id"),
        _text(doc.get("language"), "language"),
        _bool(doc.get("vatPayer"), "vatPayer"),
        _text(doc.get("vatMode"), "vatMode"),
        _int(doc.get("stockId"), "stockId"),
        _json(billing),
        _json(_obj(doc, "deliveryAddress", "")),
        _text(doc.get("remark"), "remark"),
        _text(doc.get("adminUrl"), "adminUrl"),
        source_hash,
    )
    items = []
    for n, item in enumerate(_list(doc, "items", ""), 1):
        where = f"items[{n}]."
        if not isinstance(item, dict):
            raise BadDocument(f"items[{n}]: expected an object, got {type(item).__name__}")
        item_id = item.get("itemId")
        if not isinstance(item_id, int) or isinstance(item_id, bool):
            raise BadDocument(f"{where}itemId: expected an integer, got {item_id!r:.40}")
        item_type = item.get("itemType")
        if item_type not in ITEM_TYPES:
            raise BadDocument(
                f"{where}itemType: unknown value {item_type!r:.40} (known: {', '.join(sorted(ITEM_TYPES))})"
            )
        item_status = _obj(item, "status", where) or {}
        unit = _obj(item, "unitPrice", where) or {}
        total = _obj(item, "itemPrice", where) or {}
        purchase = _obj(item, "purchasePrice", where) or {}
        items.append(
            (
                batch_id,
                code,
                item_id,
                item_type,
                _text(item.get("productType"), where + "productType"),
                _guid(item.get("productGuid"), where + "productGuid", warnings),
                _text(item.get("code"), where + "code"),
                _text(item.get("ean"), where + "ean"),
                _text(item.get("name"), where + "name"),
                _text(item.get("variantName"), where + "variantName"),
                _text(item.get("brand"), where + "brand"),
                _num(item.get("amount"), where + "amount"),
                _text(item.get("amountUnit"), where + "amountUnit"),
                _num(item.get("amountCompleted"), where + "amountCompleted"),
                _num(item.get("weight"), where + "weight"),
                _num(item.get("priceRatio"), where + "priceRatio"),
                _num(unit.get("withVat"), where + "unitPrice.withVat"),
                _num(unit.get("withoutVat"), where + "unitPrice.withoutVat"),
                _num(total.get("withVat"), where + "itemPrice.withVat"),
                _num(total.get("withoutVat"), where + "itemPrice.withoutVat"),
                _num(total.get("vat"), where + "itemPrice.vat"),
                _num(
                    total.get("vatRate") if total.get("vatRate") is not None else unit.get("vatRate"),
                    where + "itemPrice.vatRate",
                ),
                _num(purchase.get("withoutVat"), where + "purchasePrice.withoutVat"),
                _int(item_status.get("id"), where + "status.id"),
                _text(item_status.get("name"), where + "status.name"),
                _text(item.get("supplierName"), where + "supplierName"),
            )
        )
    return order, items


def _main_account(accounts: list[Any]) -> dict[str, Any]:
    first: dict[str, Any] = {}
    for n, account in enumerate(accounts, 1):
        if not isinstance(account, dict):
            raise BadDocument(f"accounts[{n}]: expected an object, got {type(account).__name__}")
        if account.get("mainAccount") is True:
            return account
        first = first or account
    return first


def customer_row(doc: Any, batch_id: int, line_no: int, source_hash: bytes | None = None) -> tuple[Any, ...]:
    """The stage_customers row of one customer document (its key GUID and main e-mail normalised;
    an e-mail held by another customer is found by ingest.apply_customers). ``source_hash``: the
    hash of the snapshot line (or None)."""
    doc = _require_dict(doc, "customers")
    guid = _key_guid(doc, "customer")
    accounts = _list(doc, "accounts", "")
    main = _main_account(accounts)
    billing = _obj(doc, "billingAddress", "")
    group = _obj(doc, "customerGroup", "") or {}
    price_list = _obj(doc, "priceList", "") or {}
    email = _text(main.get("email"), "accounts[].email")
    return (
        batch_id,
        line_no,
        guid,
        normalize_email(email),
        _text((billing or {}).get("fullName") or main.get("fullName"), "billingAddress.fullName"),
        _text((billing or {}).get("company"), "billingAddress.company"),
        _text(main.get("phone"), "accounts[].phone"),
        _text(group.get("name"), "customerGroup.name"),
        _text(price_list.get("name"), "priceList.name"),
        _bool(doc.get("disabledOrders"), "disabledOrders") or False,
        _text(doc.get("remark"), "remark"),
        _json(billing),
        _json(_list(doc, "deliveryAddress", "")),
        _json(accounts),
        _text(doc.get("creationTime"), "creationTime"),
        _text(doc.get("changeTime"), "changeTime"),
        source_hash,
    )


def product_rows(
    doc: Any, batch_id: int, line_no: int, *, warnings: list[FieldWarning], language: str | None = None
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """(stage_products row, stage_variants rows) of one product document; the variants carry the
    product's normalised GUID; supplier.guid / defaultCategory.guid that are not GUIDs are
    appended to ``warnings``. ``language``: the document was read with ?language= (not the shop's
    default): its row carries the texts only (ingest.apply_products writes nothing else of it) and
    it has no variant rows."""
    doc = _require_dict(doc, "products")
    guid = _key_guid(doc, "product")
    if language is not None:
        return text_row(doc, guid, batch_id, line_no, language), []
    brand = _obj(doc, "brand", "") or {}
    supplier = _obj(doc, "supplier", "") or {}
    category = _obj(doc, "defaultCategory", "") or {}
    product = (
        batch_id,
        line_no,
        guid,
        _text(doc.get("name"), "name"),
        _text(doc.get("type"), "type"),
        _text(doc.get("visibility"), "visibility"),
        _text(brand.get("code"), "brand.code"),
        _text(brand.get("name"), "brand.name"),
        _guid(supplier.get("guid"), "supplier.guid", warnings),
        _text(supplier.get("name"), "supplier.name"),
        _guid(category.get("guid"), "defaultCategory.guid", warnings),
        _text(category.get("name"), "defaultCategory.name"),
        _text(doc.get("url"), "url"),
        _bool(doc.get("isVariant"), "isVariant"),
        _text(doc.get("creationTime"), "creationTime"),
        _text(doc.get("changeTime"), "changeTime"),
        _text(doc.get("xmlFeedName"), "xmlFeedName"),
        _text(doc.get("shortDescription"), "shortDescription"),
        _text(doc.get("description"), "description"),
        _images(doc),
        _json(_list(doc, "categories", "")) if "categories" in doc else None,
        _json(_list(doc, "descriptiveParameters", "")) if "descriptiveParameters" in doc else None,
        _flags(doc),
        _text(doc.get("metaTitle"), "metaTitle"),
        _text(doc.get("metaDescription"), "metaDescription"),
        _text(doc.get("additionalName"), "additionalName"),
        # a detail or snapshot document carries its texts; a list item does not
        "description" in doc or "shortDescription" in doc,
        None,
    )
    variants = []
    for n, variant in enumerate(_list(doc, "variants", ""), 1):
        where = f"variants[{n}]."
        if not isinstance(variant, dict):
            raise BadDocument(f"variants[{n}]: expected an object, got {type(variant).__name__}")
        code = variant.get("code")
        if not isinstance(code, str) or not code:
            raise BadDocument(f"{where}code: a variant needs its code")
        availability = _obj(variant, "availability", where) or {}
        sold_out = _obj(variant, "availabilityWhenSoldOut", where) or {}
        action = _obj(variant, "actionPrice", where) or {}
        heureka = _obj(variant, "heureka", where) or {}
        zbozi = _obj(variant, "zboziCZ", where) or {}
        purchase = variant.get("purchasePrice")
        if isinstance(purchase, dict):
            purchase = purchase.get("withoutVat", purchase.get("price"))
        variants.append(
            (
                batch_id,
                guid,
                code,
                _text(variant.get("ean"), where + "ean"),
                _text(variant.get("name"), where + "name"),
                _num(variant.get("stock"), where + "stock"),
                _text(variant.get("unit"), where + "unit"),
                _num(variant.get("price"), where + "price"),
                _num(variant.get("commonPrice"), where + "commonPrice"),
                _num(purchase, where + "purchasePrice"),
                _text(variant.get("currencyCode"), where + "currencyCode"),
                _num(variant.get("vatRate"), where + "vatRate"),
                _bool(variant.get("includingVat"), where + "includingVat"),
                _bool(variant.get("visible"), where + "visible"),
                _text(availability.get("name"), where + "availability.name"),
                _num(variant.get("minStockSupply"), where + "minStockSupply"),
                _num(variant.get("weight"), where + "weight"),
                _text(variant.get("manufacturerCode"), where + "manufacturerCode"),
                _variant_parameters(variant, where) if "parameters" in variant else None,
                _text(variant.get("image"), where + "image"),
                _text(variant.get("mpn"), where + "mpn"),
                _text(sold_out.get("name"), where + "availabilityWhenSoldOut.name"),
                _num(action.get("price"), where + "actionPrice.price"),
                _text(action.get("fromDate"), where + "actionPrice.fromDate"),
                _text(action.get("toDate"), where + "actionPrice.toDate"),
                _num(variant.get("heurekaCPC"), where + "heurekaCPC"),
                _bool(heureka.get("feedExcluded"), where + "heureka.feedExcluded"),
                _bool(heureka.get("cartExcluded"), where + "heureka.cartExcluded"),
                _num(zbozi.get("maximalCPC"), where + "zboziCZ.maximalCPC"),
                _num(zbozi.get("maximalSearchCPC"), where + "zboziCZ.maximalSearchCPC"),
                _bool(zbozi.get("hidden"), where + "zboziCZ.hidden"),
            )
        )
    return product, variants


def text_row(doc: Any, guid: str, batch_id: int, line_no: int, language: str) -> tuple[Any, ...]:
    """The texts-only stage_products row of a product read in ``language`` (``?language=``): the
    key, changeTime (a text older than the product the hub holds is not applied) and the texts."""
    doc = _require_dict(doc, "products")
    row: dict[str, Any] = dict.fromkeys(PRODUCT_COLUMNS)
    row.update(
        batch_id=batch_id,
        line_no=line_no,
        guid=guid,
        name=_text(doc.get("name"), "name"),
        changed_at=_text(doc.get("changeTime"), "changeTime"),
        xml_feed_name=_text(doc.get("xmlFeedName"), "xmlFeedName"),
        short_description=_text(doc.get("shortDescription"), "shortDescription"),
        description=_text(doc.get("description"), "description"),
        meta_title=_text(doc.get("metaTitle"), "metaTitle"),
        meta_description=_text(doc.get("metaDescription"), "metaDescription"),
        additional_name=_text(doc.get("additionalName"), "additionalName"),
        texts=True,
        language=language.strip().lower(),
    )
    return tuple(row[c] for c in PRODUCT_COLUMNS)


def language_text_rows(doc: dict[str, Any], guid: str, batch_id: int, line_no: int) -> list[tuple[Any, ...]]:
    """The texts-only rows of the other languages a fetched detail carries (``LANGUAGE_TEXTS_KEY``)."""
    texts = doc.get(LANGUAGE_TEXTS_KEY)
    if not isinstance(texts, dict):
        return []
    return [
        text_row(translated, guid, batch_id, line_no, str(language))
        for language, translated in texts.items()
        if isinstance(translated, dict)
    ]


def _images(doc: dict[str, Any]) -> str | None:
    """include=images: the file names (``images[].name``) as a JSON array, the main image first,
    then by priority as the administration orders them; None when the section was not sent."""
    if "images" not in doc:
        return None
    shown: list[tuple[int, int, int, str]] = []
    for n, image in enumerate(_list(doc, "images", ""), 1):
        if not isinstance(image, dict):
            raise BadDocument(f"images[{n}]: expected an object, got {type(image).__name__}")
        name = _text(image.get("name"), f"images[{n}].name")
        if name:
            priority = image.get("priority")
            order = priority if isinstance(priority, int) and not isinstance(priority, bool) else 1 << 30
            shown.append((0 if image.get("isMainImage") is True else 1, order, n, name))
    return orjson.dumps([name for *_, name in sorted(shown)]).decode()


def _flags(doc: dict[str, Any]) -> str | None:
    """include=flags: the flag codes as a JSON array; None when the section was not sent."""
    if "flags" not in doc:
        return None
    codes = [flag.get("code") for flag in _list(doc, "flags", "") if isinstance(flag, dict)]
    return orjson.dumps([code for code in codes if isinstance(code, str)]).decode()


def _variant_parameters(variant: dict[str, Any], where: str) -> str:
    """include=variantParameters: [{name, value}] (paramName or displayName, paramValue) as JSON."""
    kept = []
    for n, param in enumerate(_list(variant, "parameters", where), 1):
        if not isinstance(param, dict):
            raise BadDocument(f"{where}parameters[{n}]: expected an object, got {type(param).__name__}")
        name = _text(param.get("displayName") or param.get("paramName"), f"{where}parameters[{n}].paramName")
        value = _text(param.get("paramValue"), f"{where}parameters[{n}].paramValue")
        kept.append({"name": name, "value": value})
    return orjson.dumps(kept).decode()
