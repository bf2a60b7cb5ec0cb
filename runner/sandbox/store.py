"""What a sandbox shop holds: the generated base data plus a small mutable overlay.

Every entity kind (orders, customers, products) lives in one index space: base
entities ``0 .. base_count-1`` are generated on demand, entities created later by
``mutate`` get the next indices and are kept in the overlay, as are updated
(replaced) and deleted (``None``) base entities. Creation time never decreases with
the index, so a creation-time range is an index range; a change log keeps the last
change of every mutated entity for the ``/changes`` endpoints. Lists are "refs":
sorted indices, either a range with holes (no filter but time) or a materialised
array of the matches (kept in a small cache per overlay version).
"""

from __future__ import annotations

import copy
import random
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from runner.sandbox import generator as g
from runner.sandbox.formats import amount, fmt_dt, money, parse_dt, price_block
from runner.sandbox.languages import ShopLanguages

KINDS = ("orders", "customers", "products")


@dataclass
class Entry:
    """An overlay entity: the dict as served, its creation and change timestamps (None = deleted)."""

    data: dict[str, Any] | None
    created: int | None
    changed: int


class Refs:
    """Sorted indices of a list: base range [lo, hi) minus deleted ones, then extra indices (or one array)."""

    def __init__(
        self,
        lo: int = 0,
        hi: int = 0,
        deleted: list[int] | None = None,
        extra: list[int] | None = None,
        items: array | None = None,
    ):
        self.lo, self.hi = lo, max(lo, hi)
        self.deleted = sorted(d for d in (deleted or []) if lo <= d < hi)
        self.extra = extra or []
        self.items = items

    def __len__(self) -> int:
        if self.items is not None:
            return len(self.items)
        return self.hi - self.lo - len(self.deleted) + len(self.extra)

    def slice(self, offset: int, count: int) -> list[int]:
        """Up to count indices from position offset."""
        if self.items is not None:
            return list(self.items[offset : offset + count])
        out: list[int] = []
        base_len = self.hi - self.lo - len(self.deleted)
        if offset < base_len:
            j = self.lo + offset
            for d in self.deleted:  # the offset-th index not deleted
                if d <= j:
                    j += 1
                else:
                    break
            dset = set(self.deleted)
            while j < self.hi and len(out) < count:
                if j not in dset:
                    out.append(j)
                j += 1
            extra_start = 0
        else:
            extra_start = offset - base_len
        if len(out) < count:
            out.extend(self.extra[extra_start : extra_start + count - len(out)])
        return out

    def __iter__(self) -> Iterator[int]:
        if self.items is not None:
            yield from self.items
            return
        dset = set(self.deleted)
        for j in range(self.lo, self.hi):
            if j not in dset:
                yield j
        yield from self.extra


class BadRequest(Exception):
    """A query parameter the sandbox cannot accept (400)."""


def _ts_param(params: dict[str, str], name: str) -> float | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_dt(raw)
    except ValueError:
        raise BadRequest(
            f"Parameter `{name}` must be an ISO 8601 date and time like 2017-12-12T22:08:01+0100, got {raw!r}."
        ) from None


class Collection:
    """One entity kind of one shop: base count, overlay entries, change log."""

    def __init__(self, kind: str, base_count: int, base_created: Callable[[int], int | None]):
        self.kind = kind
        self.base_count = base_count
        self.base_created = base_created
        self.over: dict[int, Entry] = {}
        self.created: list[int] = []  # indices >= base_count, in creation order
        self.changes: dict[int, tuple[int, str, int]] = {}  # index -> (changeTime, changeType, seq)
        self.null_time: set[int] = set()  # indices whose change is listed with "changeTime": null
        self.keys: dict[str, int] = {}  # key of a put entity (order code, lower-case guid) -> index
        self.names: dict[int, str] = {}  # index of a put entity -> its key as served
        self.raw_changes: list[tuple[float, dict[str, Any]]] = []  # (listed at, entry served verbatim)
        self.version = 0
        self._seq = 0

    @property
    def size(self) -> int:
        return self.base_count + len(self.created)

    def deleted(self) -> list[int]:
        return [i for i, e in self.over.items() if e.data is None]

    def record(self, index: int, entry: Entry, change_type: str, null_time: bool = False) -> None:
        self.over[index] = entry
        self._seq += 1
        self.changes[index] = (entry.changed, change_type, self._seq)
        if null_time:
            self.null_time.add(index)
        else:
            self.null_time.discard(index)
        self.version += 1

    def creation(self, i: int) -> int | None:
        e = self.over.get(i)
        if e is not None:
            return e.created
        return self.base_created(i) if i < self.base_count else None


DEFAULT_TIMEZONE = "Europe/Prague"


class Shop:
    """One sandbox e-shop: its generated data, the overlay, webhooks, signature key."""

    def __init__(self, eshop_id: int, name: str, seed: int, scale: float, anchor: int):
        self.eshop_id = eshop_id
        self.name = name
        self.data = g.ShopData(eshop_id, seed, scale, anchor)
        d = self.data
        self.orders = Collection("orders", d.n_orders, d.order_creation)
        self.customers = Collection(
            "customers", d.n_customers, lambda i: None if _null_creation(i) else d.customer_creation(i)
        )
        self.products = Collection("products", d.n_products, lambda p: None)
        self.lock = threading.RLock()
        self._refs_cache: OrderedDict[tuple, Refs] = OrderedDict()
        self.private_token = f"sandbox-private-{eshop_id}"
        # GET /api/eshop settings.timezone; None leaves the field out (as an odd API answer could)
        self.timezone: str | None = DEFAULT_TIMEZONE
        self.signature_key = f"{random.Random(g._key('sigkey', seed, eshop_id)).getrandbits(128):032x}"
        self._base_totals: dict[str, Any] | None = None
        self.variant_keys: dict[str, int] = {}  # variant code of a put product -> product index
        self.languages = ShopLanguages()  # languages, translated texts, PATCH count (runner/sandbox/languages.py)

    def collection(self, kind: str) -> Collection:
        return {"orders": self.orders, "customers": self.customers, "products": self.products}[kind]

    # -- single entities ----------------------------------------------------------------------

    def order(self, i: int) -> dict[str, Any] | None:
        e = self.orders.over.get(i)
        if e is not None:
            return e.data
        return self.data.order(i) if 0 <= i < self.orders.base_count else None

    def customer(self, i: int) -> dict[str, Any] | None:
        e = self.customers.over.get(i)
        if e is not None:
            return e.data
        if not 0 <= i < self.customers.base_count:
            return None
        c = self.data.customer(i)
        if _null_creation(i):
            c["creationTime"] = None
        else:
            c["creationTime"] = fmt_dt(self.data.customer_creation(i))
        return c

    def product(self, p: int) -> dict[str, Any] | None:
        e = self.products.over.get(p)
        if e is not None:
            return e.data
        return self.data.product(p) if 0 <= p < self.products.base_count else None

    def entity(self, kind: str, i: int) -> dict[str, Any] | None:
        return {"orders": self.order, "customers": self.customer, "products": self.product}[kind](i)

    def index_of(self, kind: str, key: str) -> int | None:
        """Index of an entity by its key (order code, customer / product GUID in any case), None if unknown."""
        col = self.collection(kind)
        norm = key if kind == "orders" else key.strip().lower()
        if norm in col.keys:
            return col.keys[norm]
        i = {
            "orders": self.data.order_index,
            "customers": self.data.customer_index,
            "products": self.data.product_index,
        }[kind](norm)
        return None if i is None or i >= col.size or i in col.names else i

    def key_of(self, kind: str, i: int) -> str:
        """The key (order code, GUID) of entity i as the API names it."""
        col = self.collection(kind)
        if i in col.names:
            return col.names[i]
        return {
            "orders": self.data.order_code,
            "customers": self.data.customer_guid,
            "products": self.data.product_guid,
        }[kind](i)

    def order_by_code(self, code: str) -> dict[str, Any] | None:
        i = self.index_of("orders", code)
        return None if i is None else self.order(i)

    def customer_by_guid(self, guid: str) -> dict[str, Any] | None:
        i = self.index_of("customers", guid)
        return None if i is None else self.customer(i)

    def product_by_guid(self, guid: str) -> dict[str, Any] | None:
        p = self.index_of("products", guid)
        return None if p is None else self.product(p)

    def product_by_code(self, code: str) -> dict[str, Any] | None:
        p = self.variant_keys.get(code)
        if p is None:
            p = self.data.product_of_code(code)
        if p is None or p >= self.products.size:
            return None
        prod = self.product(p)
        if prod is None or not any(v.get("code") == code for v in prod.get("variants") or []):
            return None
        return prod

    # -- lists ------------------------------------------------------------------------------------

    def _cached(self, key: tuple, build: Callable[[], Refs]) -> Refs:
        with self.lock:
            hit = self._refs_cache.get(key)
            if hit is not None:
                self._refs_cache.move_to_end(key)
                return hit
        refs = build()
        with self.lock:
            self._refs_cache[key] = refs
            while len(self._refs_cache) > 8:
                self._refs_cache.popitem(last=False)
        return refs

    def order_refs(self, params: dict[str, str]) -> Refs:
        """The orders a list or snapshot with these filters returns, in creation order."""
        f = {
            k: params.get(k)
            for k in (
                "creationTimeFrom",
                "creationTimeTo",
                "changeTimeFrom",
                "changeTimeTo",
                "statusId",
                "email",
                "customerGuid",
                "codeFrom",
                "codeTo",
                "orderCodes",
            )
        }
        cfrom, cto = _ts_param(params, "creationTimeFrom"), _ts_param(params, "creationTimeTo")
        chfrom, chto = _ts_param(params, "changeTimeFrom"), _ts_param(params, "changeTimeTo")
        status = None
        if f["statusId"] not in (None, ""):
            try:
                status = int(f["statusId"])
            except ValueError:
                raise BadRequest(f"Parameter `statusId` must be an integer, got {f['statusId']!r}.") from None
        email = (f["email"] or "").strip().lower() or None
        cguid = (f["customerGuid"] or "").strip().lower() or None
        codes = [c.strip() for c in (f["orderCodes"] or "").split(",") if c.strip()] or None
        if codes and len(codes) > 50:
            raise BadRequest("Parameter `orderCodes` takes at most 50 codes.")
        col = self.orders
        key = ("orders", tuple(sorted((k, v) for k, v in f.items() if v)), col.version)

        def build() -> Refs:
            d = self.data
            with self.lock:
                over = dict(col.over)
                created = list(col.created)
            if codes:
                idx = sorted(
                    {
                        i
                        for c in codes
                        if (i := self.index_of("orders", c)) is not None and (i not in over or over[i].data is not None)
                    }
                )
                return Refs(items=array("q", idx))
            lo, hi = 0, d.n_orders
            if cfrom is not None:
                lo = max(lo, d.first_order_at_or_after(cfrom))
            if chfrom is not None:
                lo = max(lo, d.first_order_at_or_after(chfrom - g.MAX_CHANGE_LAG))
            if cto is not None:
                hi = min(hi, d.first_order_at_or_after(cto + 1))
            if chto is not None:
                hi = min(hi, d.first_order_at_or_after(chto + 1))
            code_lo = d.order_index(f["codeFrom"]) if f["codeFrom"] else None
            code_hi = d.order_index(f["codeTo"]) if f["codeTo"] else None
            if code_lo is not None:
                lo = max(lo, code_lo)
            if code_hi is not None:
                hi = min(hi, code_hi + 1)

            def match_entry(i: int, e: Entry) -> bool:
                o = e.data
                if o is None:
                    return False
                return (
                    _match(
                        e.created,
                        e.changed,
                        (o.get("status") or {}).get("id"),
                        o.get("email"),
                        o.get("customerGuid"),
                        cfrom,
                        cto,
                        chfrom,
                        chto,
                        status,
                        email,
                        cguid,
                    )
                    and (code_lo is None or i >= code_lo)
                    and (code_hi is None or i <= code_hi)
                )

            predicate = chfrom is not None or chto is not None or status is not None or email or cguid
            if not predicate:
                extra = [i for i in created if match_entry(i, over[i])]
                return Refs(lo, hi, [i for i, e in over.items() if e.data is None], extra)
            cguid_index = d.customer_index(cguid) if cguid else None
            out = array("q")
            touched = sorted(i for i in over if i < d.n_orders)
            for i in range(lo, hi):
                e = over.get(i)
                if e is not None:
                    if match_entry(i, e):
                        out.append(i)
                    continue
                h = d.order_head(i)
                if chfrom is not None and h.change < chfrom or chto is not None and h.change > chto:
                    continue
                if status is not None and h.status_id != status:
                    continue
                if email and h.email.lower() != email:
                    continue
                if cguid and (cguid_index is None or h.customer != cguid_index):
                    continue
                out.append(i)
            # updated base orders outside the creation window (their changeTime moved)
            extra_touched = [i for i in touched if not lo <= i < hi and match_entry(i, over[i])]
            merged = sorted(set(out).union(extra_touched))
            merged.extend(i for i in created if match_entry(i, over[i]))
            return Refs(items=array("q", merged))

        return self._cached(key, build)

    def customer_refs(self, params: dict[str, str]) -> Refs:
        cfrom, cto = _ts_param(params, "creationTimeFrom"), _ts_param(params, "creationTimeTo")
        chfrom, chto = _ts_param(params, "changeTimeFrom"), _ts_param(params, "changeTimeTo")
        email = (params.get("email") or "").strip().lower() or None
        phone = (params.get("phone") or "").strip().replace(" ", "") or None
        col = self.customers
        key = ("customers", cfrom, cto, chfrom, chto, email, phone, col.version)

        def build() -> Refs:
            d = self.data
            with self.lock:
                over = dict(col.over)
                created = list(col.created)

            def match(i: int) -> bool:
                e = over.get(i)
                if e is not None:
                    c, created_ts, changed = e.data, e.created, e.changed
                    if c is None:
                        return False
                else:
                    c, created_ts, changed = None, col.creation(i), d.customer_change(i)
                if cfrom is not None and (created_ts is None or created_ts < cfrom):
                    return False
                if cto is not None and (created_ts is None or created_ts > cto):
                    return False
                if chfrom is not None and changed < chfrom or chto is not None and changed > chto:
                    return False
                if email or phone:
                    person = c if c is not None else self.customer(i)
                    if person is None:  # neither in the overlay nor in the generated range
                        return False
                    accounts = person["accounts"]
                    if email and not any((a["email"] or "").lower() == email for a in accounts):
                        return False
                    if phone and not any((a["phone"] or "") == phone for a in accounts):
                        return False
                return True

            if email and not phone:
                # e-mails of generated customers end with their number: look there, and in the overlay
                cands = set(i for i in over if match(i))
                local = email.split("@", 1)[0]
                num = local.rsplit(".", 1)[-1]
                if num.isdigit() and 0 < int(num) <= d.n_customers and match(int(num) - 1):
                    cands.add(int(num) - 1)
                return Refs(items=array("q", sorted(cands)))
            lo, hi = 0, d.n_customers
            if cfrom is not None:
                lo = max(lo, d.first_customer_at_or_after(cfrom))
            if chfrom is not None:
                lo = max(lo, d.first_customer_at_or_after(chfrom - g.MAX_CHANGE_LAG))
            if cto is not None:
                hi = min(hi, d.first_customer_at_or_after(cto + 1))
            if chto is not None:
                hi = min(hi, d.first_customer_at_or_after(chto + 1))
            predicate = cfrom is not None or cto is not None or chfrom is not None or chto is not None or phone
            if not predicate:
                return Refs(
                    lo,
                    hi,
                    [i for i, e in over.items() if e.data is None],
                    [i for i in created if over[i].data is not None],
                )
            out = [i for i in range(lo, hi) if match(i)]
            out_set = set(out)
            out.extend(
                i for i in sorted(over) if i < d.n_customers and i not in out_set and not lo <= i < hi and match(i)
            )
            out.sort()
            out.extend(i for i in created if match(i))
            return Refs(items=array("q", out))

        return self._cached(key, build)

    def product_refs(self, params: dict[str, str]) -> Refs:
        cfrom, cto = _ts_param(params, "creationTimeFrom"), _ts_param(params, "creationTimeTo")
        chfrom, chto = _ts_param(params, "changeTimeFrom"), _ts_param(params, "changeTimeTo")
        simple = {k: params.get(k) for k in ("visibility", "type", "brandCode", "supplierGuid")}
        codes = [c for c in (params.get("productCodes") or "").split(",") if c]
        guids = [c.lower() for c in (params.get("productGuids") or "").split(",") if c]
        if codes and guids:
            raise BadRequest("Parameters `productCodes` and `productGuids` cannot be combined.")
        col = self.products
        key = ("products", cfrom, cto, chfrom, chto, tuple(simple.items()), tuple(codes), tuple(guids), col.version)

        def build() -> Refs:
            out = array("q")
            for p in range(col.size):
                prod = self.product(p)
                if prod is None:
                    continue
                if cfrom is not None or cto is not None or chfrom is not None or chto is not None:
                    ct = parse_dt(prod["creationTime"]) if prod.get("creationTime") else None
                    ch = parse_dt(prod["changeTime"]) if prod.get("changeTime") else None
                    if (cfrom is not None and (ct is None or ct < cfrom)) or (
                        cto is not None and (ct is None or ct > cto)
                    ):
                        continue
                    if (chfrom is not None and (ch is None or ch < chfrom)) or (
                        chto is not None and (ch is None or ch > chto)
                    ):
                        continue
                if simple["visibility"] and prod.get("visibility") != simple["visibility"]:
                    continue
                if simple["type"] and prod.get("type") != simple["type"]:
                    continue
                if simple["brandCode"] and (prod.get("brand") or {}).get("code") != simple["brandCode"]:
                    continue
                if simple["supplierGuid"] and (prod.get("supplier") or {}).get("guid") != simple["supplierGuid"]:
                    continue
                if codes and not any(v.get("code") in codes for v in prod.get("variants") or []):
                    continue
                if guids and prod["guid"].lower() not in guids:
                    continue
                out.append(p)
            return Refs(items=out)

        return self._cached(key, build)

    def refs(self, kind: str, params: dict[str, str]) -> Refs:
        return {"orders": self.order_refs, "customers": self.customer_refs, "products": self.product_refs}[kind](params)

    def changes(self, kind: str, since: float, change_type: str | None) -> list[tuple[int, str, int]]:
        """(changeTime, changeType, index) of every entity changed at or after ``since``, oldest first.

        Generated entities count as changed at their changeTime (type ``edit``: the API reports a
        creation as an edit); mutated ones by their last change in the log.
        """
        col = self.collection(kind)
        key = ("changes", kind, since, change_type, col.version)

        def build() -> Refs:
            d = self.data
            with self.lock:
                log = dict(col.changes)
            rows: list[tuple[int, int, str, int]] = []
            if kind == "orders":
                lo = d.first_order_at_or_after(since - g.MAX_CHANGE_LAG)
                for i in range(lo, d.n_orders):
                    if i not in log:
                        h = d.order_head(i)
                        if h.change >= since:
                            rows.append((h.change, 0, "edit", i))
            elif kind == "customers":
                lo = d.first_customer_at_or_after(since - g.MAX_CHANGE_LAG)
                for i in range(lo, d.n_customers):
                    if i not in log:
                        ch = d.customer_change(i)
                        if ch >= since:
                            rows.append((ch, 0, "edit", i))
            else:
                for p in range(d.n_products):
                    if p not in log:
                        product_ch = parse_dt(d.product(p)["changeTime"])
                        if product_ch >= since:
                            rows.append((int(product_ch), 0, "edit", p))
            for i, (ts, ctype, seq) in log.items():
                if ts >= since:
                    rows.append((ts, seq, ctype, i))
            rows.sort()
            if change_type:
                rows = [r for r in rows if r[2] == change_type]
            flat = array("q")
            for ts, _seq, ctype, i in rows:
                flat.extend((ts, CHANGE_TYPES.index(ctype), i))
            return Refs(items=flat)

        flat = self._cached(key, build).items
        assert flat is not None
        return [(flat[j], CHANGE_TYPES[flat[j + 1]], flat[j + 2]) for j in range(0, len(flat), 3)]

    # -- totals -------------------------------------------------------------------------------

    @staticmethod
    def order_figures(o: dict[str, Any]) -> tuple[int, int]:
        price = (o.get("price") or {}).get("withVat")
        return len(o.get("items") or []), g.cents(price) if price else 0

    def set_base_totals(self, totals: dict[str, Any]) -> None:
        self._base_totals = totals

    def base_order_totals(self, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        if self._base_totals is None:
            self._base_totals = compute()
        return self._base_totals

    def totals(self, base: dict[str, Any]) -> dict[str, Any]:
        """What the shop holds now (deleted entities excluded): counts and the sum of orders' withVat."""
        with self.lock:
            orders = base["orders"]
            items = base["order_items"]
            total = base["total_cents"]
            for i, e in self.orders.over.items():
                if i < self.orders.base_count:
                    n, c = self.order_figures(self.data.order(i))
                    orders, items, total = orders - 1, items - n, total - c
                if e.data is not None:
                    n, c = self.order_figures(e.data)
                    orders, items, total = orders + 1, items + n, total + c
            customers = self.customers.base_count + len(self.customers.created) - len(self.customers.deleted())
            products = 0
            variants = 0
            for p in range(self.products.base_count):
                if p not in self.products.over:
                    products += 1
                    fv = self.data.product_first_variant
                    variants += (fv[p + 1] if p + 1 < len(fv) else len(self.data.variants)) - fv[p]
            for e in self.products.over.values():
                if e.data is not None:
                    products += 1
                    variants += len(e.data.get("variants") or [])
        return {
            "eshopId": self.eshop_id,
            "orders": orders,
            "order_items": items,
            "orders_total_with_vat": money(total),
            "customers": customers,
            "products": products,
            "variants": variants,
        }

    # -- mutations -------------------------------------------------------------------------------

    def mutate(self, n: int, seed: int, now: float | None = None) -> list[tuple[str, str]]:
        """n random creates, updates and deletes over orders, customers and products.

        Returns the webhook events they cause, (event, eventInstance), in order.
        """
        rng = random.Random(g._key("mutate", self.eshop_id, seed))
        events: list[tuple[str, str]] = []
        with self.lock:
            for _ in range(n):
                ts = int(now if now is not None else time.time())
                kind = rng.choices(KINDS, weights=(60, 25, 15))[0]
                op = rng.choices(("create", "update", "delete"), weights=(40, 45, 15))[0]
                col = self.collection(kind)
                live = self._pick_live(col, rng) if op != "create" else None
                if live is None:
                    op = "create"
                    i = col.size
                    entity = self._new(kind, i, ts)
                    col.created.append(i)
                    col.record(i, Entry(entity, ts, ts), "edit")
                elif op == "update":
                    entity = self._updated(kind, live, ts, rng)
                    col.record(live, Entry(entity, col.creation(live), ts), "edit")
                else:
                    gone = self.entity(kind, live)
                    assert gone is not None, "_pick_live picks a live entity"
                    entity = gone
                    col.record(live, Entry(None, col.creation(live), ts), "delete")
                ev = {"orders": "order", "customers": "customer", "products": "product"}[kind]
                instance = entity["code"] if kind == "orders" else entity["guid"]
                events.append((f"{ev}:{op}", instance))
        return events

    def put(
        self, kind: str, docs: list[dict[str, Any]], *, null_change_time: bool = False, now: float | None = None
    ) -> list[tuple[str, str]]:
        """Place documents as they are (test data hook): created when their key is new, else replacing.

        The key is an order's ``code`` (any string) or a customer's / product's ``guid`` (matched
        case-insensitively, served as given). Returns the webhook events, (event, eventInstance).
        """
        field = "code" if kind == "orders" else "guid"
        ev = {"orders": "order", "customers": "customer", "products": "product"}[kind]
        events: list[tuple[str, str]] = []
        col = self.collection(kind)
        with self.lock:
            for doc in docs:
                if not isinstance(doc, dict) or not isinstance(doc.get(field), str) or not doc[field].strip():
                    raise ValueError(f"each {kind[:-1]} needs its {field} (a non-empty string), got {doc!r:.80}")
                key = doc[field]
                ts = int(now if now is not None else time.time())
                created = _doc_time(doc.get("creationTime"), ts)
                changed = _doc_time(doc.get("changeTime"), ts)
                i = self.index_of(kind, key)
                op = "update" if i is not None and self.entity(kind, i) is not None else "create"
                if i is None:
                    i = col.size
                    col.created.append(i)
                if i >= col.base_count or i in col.names:
                    col.names[i] = key
                    col.keys[key if kind == "orders" else key.strip().lower()] = i
                if kind == "products":
                    for variant in doc.get("variants") or []:
                        if isinstance(variant, dict) and isinstance(variant.get("code"), str):
                            self.variant_keys[variant["code"]] = i
                col.record(i, Entry(copy.deepcopy(doc), created, changed), "edit", null_change_time)
                events.append((f"{ev}:{op}", key))
        return events

    def remove(
        self, kind: str, keys: list[str], *, null_change_time: bool = False, now: float | None = None
    ) -> list[tuple[str, str]]:
        """Delete entities at the source by key (unknown keys are skipped); returns the webhook events."""
        ev = {"orders": "order", "customers": "customer", "products": "product"}[kind]
        events: list[tuple[str, str]] = []
        col = self.collection(kind)
        with self.lock:
            for key in keys:
                i = self.index_of(kind, key)
                if i is None or self.entity(kind, i) is None:
                    continue
                ts = int(now if now is not None else time.time())
                col.record(i, Entry(None, col.creation(i), ts), "delete", null_change_time)
                events.append((f"{ev}:delete", key))
        return events

    def _pick_live(self, col: Collection, rng: random.Random) -> int | None:
        for _ in range(20):
            i = rng.randrange(col.size) if col.size else None
            if i is None:
                return None
            e = col.over.get(i)
            if i not in col.names and (e is None or e.data is not None):
                return i
        return None

    def _new(self, kind: str, i: int, ts: int) -> dict[str, Any]:
        d = self.data
        if kind == "orders":
            return d.order(i, created=ts, status=-1)
        if kind == "customers":
            c = d.customer(i)
            c["creationTime"] = c["changeTime"] = fmt_dt(ts)
            return c
        p = d.product(i)
        p["creationTime"] = p["changeTime"] = fmt_dt(ts)
        return p

    def _updated(self, kind: str, i: int, ts: int, rng: random.Random) -> dict[str, Any]:
        e = copy.deepcopy(self.entity(kind, i))
        assert e is not None
        e["changeTime"] = fmt_dt(ts)
        if kind == "orders":
            new_status = rng.choice([s[0] for s in g.STATUSES])
            status = {"id": new_status, "name": g.STATUS_NAMES[new_status]}
            e["status"] = status
            for it in e["items"]:
                it["status"] = status
            e["paid"] = new_status in (-3, 1)
            if rng.random() < 0.3:  # the merchant changed a quantity: item and order sums follow
                for it in e["items"]:
                    if it["itemType"] == "product":
                        qty = int(it["amount"].split(".")[0]) + 1
                        unit = g.cents(it["unitPrice"]["withVat"])
                        rate = int(it["unitPrice"]["vatRate"].split(".")[0])
                        it["amount"] = amount(qty * 1000)
                        it["itemPrice"] = price_block(unit * qty, rate)
                        it["displayPrices"] = [price_block(unit * qty, rate)]
                        break
                with_vat = sum(g.cents(it["itemPrice"]["withVat"]) for it in e["items"])
                without = sum(g.cents(it["itemPrice"]["withoutVat"]) for it in e["items"])
                e["price"].update(
                    withVat=money(with_vat),
                    withoutVat=money(without),
                    vat=money(with_vat - without),
                    toPay=money(with_vat),
                )
        elif kind == "customers":
            e["remark"] = f"changed {fmt_dt(ts)}"
            for a in e["accounts"]:
                if a["mainAccount"]:
                    a["phone"] = "+420" + str(rng.randint(600000000, 799999999))
        else:
            e["name"] = e["name"] + " (nové)"
            for v in e["variants"]:
                v["stock"] = amount(rng.randint(0, 100) * 1000)
                v["price"] = money(g.cents(v["price"]) + 1000)
        return e


CHANGE_TYPES = ("add", "edit", "delete")


def _doc_time(value: Any, default: int) -> int:
    """A document's creationTime / changeTime as epoch seconds; default when null or unreadable."""
    if isinstance(value, str) and value:
        try:
            return int(parse_dt(value))
        except ValueError:
            return default
    return default


def _null_creation(i: int) -> bool:
    """About 3 % of generated customers are old accounts without a creationTime."""
    return ((i * 2654435761) >> 7) % 100 < 3


def _match(
    created: int | None,
    changed: int,
    status_id: int | None,
    email: str | None,
    cguid: str | None,
    cfrom: float | None,
    cto: float | None,
    chfrom: float | None,
    chto: float | None,
    status: int | None,
    want_email: str | None,
    want_cguid: str | None,
) -> bool:
    if cfrom is not None and (created is None or created < cfrom):
        return False
    if cto is not None and (created is None or created > cto):
        return False
    if chfrom is not None and changed < chfrom or chto is not None and changed > chto:
        return False
    if status is not None and status_id != status:
        return False
    if want_email and (email or "").lower() != want_email:
        return False
    if want_cguid and (cguid or "").lower() != want_cguid:
        return False
    return True


def order_totals(shop: Shop, orders: Iterator[dict[str, Any]]) -> dict[str, Any]:
    """Counts and cents over generated orders (for the base totals)."""
    n = items = total = 0
    for o in orders:
        n += 1
        items += len(o["items"])
        total += g.cents(o["price"]["withVat"])
    return {"orders": n, "order_items": items, "total_cents": total}
