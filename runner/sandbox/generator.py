"""Deterministic, production-shaped Shoptet data, derived entity by entity.

Nothing here holds the orders or customers of a shop: order ``i`` is made from
``random.Random(key(seed, eshopId, "o", i))`` whenever it is needed, so a shop of
1.4 M orders costs no memory. Only the catalogue (13 k variants at scale 1.0) is
kept, compactly, because every order item refers to an existing variant code.

Shape at scale 1.0 (the seeds): 1.4 M orders with about 5.9 items each, 661 k
customers, 13 k variants in products of 1-6 variants. Orders cover three years back
from the anchor (midnight, Prague, of the day the sandbox started) with a growth trend,
a December peak, a weekly and a daily rhythm; creation time grows with the index, so a
time range is an index range (binary search). About a third are guest orders
(customerGuid null); registered customers' order counts follow a power law, and each orders only
within an active window of their own whose end is their churn point (customer_window;
docs/analytics.md). Items:
product lines, shipping, billing, sometimes a discount coupon, rarely a gift,
volume discount or service. CZK and EUR (with an exchange rate). Order
``price.withVat`` is the sum of the items' ``itemPrice.withVat`` and every
``itemPrice`` is ``unitPrice`` x ``amount``.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import time
from dataclasses import dataclass
from typing import Any, overload

from runner.sandbox.formats import amount, fmt_date, fmt_dt, money, price_block, rate8

ORDERS_AT_SCALE_1 = 1_400_000
CUSTOMERS_AT_SCALE_1 = 661_000
VARIANTS_AT_SCALE_1 = 13_000
HISTORY_DAYS = 3 * 365 + 1
MAX_CHANGE_LAG = 20 * 86400  # a generated entity's changeTime is at most this long after its creationTime
DAY = 86400
ACTIVE_MEAN = 365 * DAY  # mean length of a registered customer's active window (customer_window)
CUSTOMER_TRIES = 32  # draws for an order's customer before it becomes a guest order
_MASK64 = (1 << 64) - 1

FIRST_NAMES = [
    "Jan",
    "Petr",
    "Pavel",
    "Tomáš",
    "Martin",
    "Jiří",
    "Lukáš",
    "Jakub",
    "David",
    "Ondřej",
    "Jana",
    "Eva",
    "Marie",
    "Lucie",
    "Kateřina",
    "Tereza",
    "Petra",
    "Veronika",
    "Anna",
    "Zuzana",
]
LAST_NAMES = [
    "Novák",
    "Svoboda",
    "Novotný",
    "Dvořák",
    "Černý",
    "Procházka",
    "Kučera",
    "Veselý",
    "Horák",
    "Němec",
    "Marek",
    "Pospíšil",
    "Hájek",
    "Král",
    "Jelínek",
    "Růžička",
    "Beneš",
    "Fiala",
    "Sedláček",
    "Doležal",
]
CITIES = [
    ("Praha 2", "120 00"),
    ("Brno", "602 00"),
    ("Ostrava", "702 00"),
    ("Plzeň", "301 00"),
    ("Liberec", "460 01"),
    ("Olomouc", "779 00"),
    ("České Budějovice", "370 01"),
    ("Hradec Králové", "500 02"),
    ("Pardubice", "530 02"),
    ("Zlín", "760 01"),
    ("Bratislava", "811 01"),
    ("Košice", "040 01"),
]
STREETS = [
    "Národní",
    "Vinohradská",
    "Masarykova",
    "Husova",
    "Palackého",
    "Nádražní",
    "Školní",
    "Lidická",
    "Komenského",
    "Dlouhá",
    "Krátká",
    "Zahradní",
]
DOMAINS = ["example.com", "example.cz", "example.net", "example.org"]
BRANDS = [
    ("acme", "Acme"),
    ("nordic-wear", "Nordic Wear"),
    ("pelle", "Pelle"),
    ("bohemia", "Bohemia Crystal"),
    ("tatra-tools", "Tatra Tools"),
    ("zelena", "Zelená zahrada"),
    (None, None),
]
SUPPLIERS = ["Velkoobchod Praha s.r.o.", "Distribuce Morava a.s.", "Import EU GmbH"]
CATEGORIES = [
    "Oblečení",
    "Obuv",
    "Doplňky",
    "Domácnost",
    "Zahrada",
    "Nářadí",
    "Hračky",
    "Knihy",
    "Elektronika",
    "Kosmetika",
]
BRAND_FEED_SUFFIX = "novinka"  # xmlFeedName of some products: the name with this note
NOUNS = [
    "Tričko",
    "Mikina",
    "Bunda",
    "Boty",
    "Batoh",
    "Hrnek",
    "Lampa",
    "Kladivo",
    "Konvice",
    "Puzzle",
    "Kniha",
    "Krém",
    "Sluchátka",
    "Svíčka",
    "Deka",
    "Váza",
    "Rukavice",
    "Čepice",
    "Taška",
    "Hodinky",
]
ADJECTIVES = ["Classic", "Premium", "Eco", "Mini", "Maxi", "Sport", "Retro", "Nordic", "Urban", "Basic"]
COLORS = [
    ("red", "Červená"),
    ("green", "Zelená"),
    ("blue", "Modrá"),
    ("black", "Černá"),
    ("white", "Bílá"),
    ("grey", "Šedá"),
]
SIZES = ["XS", "S", "M", "L", "XL", "XXL"]

# (id, name, weight for orders older than two weeks, weight for newer ones); ids < 0 are Shoptet system statuses
STATUSES = [
    (-1, "Nevyřízená", 0.0, 0.35),
    (-2, "Vyřizuje se", 0.01, 0.30),
    (1, "Odeslaná", 0.02, 0.20),
    (-3, "Vyřízená", 0.90, 0.10),
    (-4, "Stornována", 0.07, 0.05),
]
STATUS_NAMES = {s[0]: s[1] for s in STATUSES}
CANCELLED_STATUS = -4
# shipping: (guid suffix, name, CZK price in hundredths)
SHIPPINGS = [
    ("01", "PPL", 9900),
    ("02", "Zásilkovna", 7900),
    ("03", "Česká pošta", 11900),
    ("04", "DPD", 10900),
    ("05", "Osobní odběr", 0),
]
# billing: (billingMethod id, guid suffix, name, CZK price)
BILLINGS = [
    (1, "11", "Dobírkou", 3900),
    (2, "12", "Převodem", 0),
    (4, "13", "Kartou online", 0),
    (3, "14", "Hotově", 0),
]
BILLING_METHOD_NAMES = {1: "COD", 2: "Wire transfer", 3: "Cash", 4: "Card"}
MONTH_WEIGHT = [0.85, 0.8, 0.9, 0.9, 0.95, 0.9, 0.85, 0.85, 0.95, 1.05, 1.5, 2.3]  # Jan..Dec, December peak
WEEKDAY_WEIGHT = [1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.95]  # Mon..Sun
HOUR_WEIGHT = [
    0.2,
    0.1,
    0.05,
    0.05,
    0.05,
    0.1,
    0.3,
    0.6,
    0.9,
    1.1,
    1.2,
    1.2,
    1.2,
    1.2,
    1.2,
    1.2,
    1.2,
    1.3,
    1.4,
    1.6,
    1.7,
    1.5,
    1.0,
    0.5,
]
_HOUR_CUM = [0.0]
for _w in HOUR_WEIGHT:
    _HOUR_CUM.append(_HOUR_CUM[-1] + _w)
_HOUR_CUM = [c / _HOUR_CUM[-1] for c in _HOUR_CUM]

_ASCII = str.maketrans("áčďéěíňóřšťúůýžÁČĎÉĚÍŇÓŘŠŤÚŮÝŽ", "acdeeinorstuuyzACDEEINORSTUUYZ")


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII).lower()


def _mix64(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-mixed 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _key(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=7).digest(), "big")


def _guid(rng: random.Random, tail: int) -> str:
    """A GUID whose last group carries ``tail`` (so an entity's index can be read back from its guid)."""
    h = rng.getrandbits(80)
    hexs = f"{h:020x}"
    return f"{hexs[0:8]}-{hexs[8:12]}-{hexs[12:16]}-{hexs[16:20]}-{tail:012x}"


@dataclass(frozen=True)
class Variant:
    code: str
    product: int
    price: int  # CZK hundredths, including VAT
    vat_rate: int
    name: str  # product name
    variant_name: str | None
    ean: str | None
    weight: int  # grams
    brand: str | None
    purchase: int | None


@dataclass
class OrderHead:
    """What the list filters need of an order, cheaper than the whole order."""

    index: int
    creation: int
    change: int
    status_id: int
    customer: int | None  # customer index; None for a guest
    email: str


class ShopData:
    """The generated base data of one shop: order i, customer i, product p, all derived on demand."""

    def __init__(self, eshop_id: int, seed: int, scale: float, anchor: int):
        self.eshop_id = eshop_id
        self.seed = seed
        self.scale = scale
        self.anchor = anchor
        self.start = anchor - HISTORY_DAYS * DAY
        self.n_orders = max(1, round(ORDERS_AT_SCALE_1 * scale))
        self.n_customers = max(1, round(CUSTOMERS_AT_SCALE_1 * scale))
        target_variants = max(1, round(VARIANTS_AT_SCALE_1 * scale))
        self.n_guests = max(1, int(self.n_orders / 3 * 0.85))
        self._k = {kind: _key(seed, eshop_id, kind) << 32 for kind in ("o", "c", "g", "p", "x")}
        self._cmul = self._coprime(self.n_customers, 7919 + seed % 1000)
        self._wsalt = _key(seed, eshop_id, "window")  # customers' active windows
        self._osalt = _key(seed, eshop_id, "order customer")  # redraws of an order's customer
        self.admin = f"https://{eshop_id}.myshoptet.com/admin"
        self.web = f"https://{eshop_id}.myshoptet.com"
        # day weights: growth trend x month (December peak) x weekday
        weights = []
        for d in range(HISTORY_DAYS):
            t = time.gmtime(self.start + d * DAY + DAY // 2)
            weights.append((1.0 + 0.6 * d / HISTORY_DAYS) * MONTH_WEIGHT[t.tm_mon - 1] * WEEKDAY_WEIGHT[t.tm_wday])
        self._day_w = weights
        cum = [0.0]
        for w in weights:
            cum.append(cum[-1] + w)
        self._day_cum = cum
        # the catalogue (kept: order items refer to variant codes)
        self.variants: list[Variant] = []
        self.product_first_variant: list[int] = []
        p = 0
        while len(self.variants) < target_variants:
            self.product_first_variant.append(len(self.variants))
            product = self.product(p, feed_sections=False)
            for v in product["variants"]:
                self.variants.append(
                    Variant(
                        code=v["code"],
                        product=p,
                        price=_cents(v["price"]),
                        vat_rate=int(v["vatRate"][:-3]),
                        name=product["name"],
                        variant_name=v["name"],
                        ean=v["ean"],
                        weight=_grams(v["weight"]),
                        brand=(product["brand"] or {}).get("name"),
                        purchase=_cents(v["purchasePrice"]),
                    )
                )
            p += 1
        self.n_products = p
        self._vmul = self._coprime(len(self.variants), 104729)
        # orders' codes: year + sequence within the year
        self._year_first: dict[int, int] = {}
        y0, y1 = time.gmtime(self.start).tm_year, time.gmtime(anchor).tm_year
        for year in range(y0, y1 + 1):
            self._year_first[year] = self.first_order_at_or_after(_year_start(year))
        per_year = max(self._year_first.get(y + 1, self.n_orders) - self._year_first[y] for y in self._year_first)
        self._code_width = max(6, len(str(per_year * 2)))
        self._anchor_year = y1

    @staticmethod
    def _coprime(n: int, start: int) -> int:
        m = start
        while math.gcd(m, n) != 1:
            m += 1
        return m % n if n > 1 else 0

    # -- time ---------------------------------------------------------------------------------

    def order_creation(self, i: int) -> int:
        """Creation timestamp of base order i; non-decreasing in i."""
        u = ((i * 2654435761 + self.seed * 97) % 4294967296) / 4294967296.0
        x = (i + u) / self.n_orders * self._day_cum[-1]
        d = bisect.bisect_right(self._day_cum, x) - 1
        d = min(max(d, 0), HISTORY_DAYS - 1)
        frac = (x - self._day_cum[d]) / self._day_w[d]
        h = bisect.bisect_right(_HOUR_CUM, frac) - 1
        h = min(max(h, 0), 23)
        within = (frac - _HOUR_CUM[h]) / (_HOUR_CUM[h + 1] - _HOUR_CUM[h])
        return self.start + d * DAY + h * 3600 + min(3599, int(within * 3600))

    def first_order_at_or_after(self, ts: float) -> int:
        """Smallest base index whose creation time is >= ts (n_orders if none)."""
        lo, hi = 0, self.n_orders
        while lo < hi:
            mid = (lo + hi) // 2
            if self.order_creation(mid) < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def customer_creation(self, i: int) -> int:
        """Customers sign up over the three years too, in index order."""
        u = ((i * 2246822519 + self.seed * 31) % 4294967296) / 4294967296.0
        return self.start + int((i + u) / self.n_customers * (HISTORY_DAYS * DAY - 3600))

    def first_customer_at_or_after(self, ts: float) -> int:
        lo, hi = 0, self.n_customers
        while lo < hi:
            mid = (lo + hi) // 2
            if self.customer_creation(mid) < ts:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _change(self, rng: random.Random, created: int) -> int:
        r = rng.random()
        lag = int(r * r * r * MAX_CHANGE_LAG) + 60
        return min(created + lag, self.anchor - 1)

    # -- codes ------------------------------------------------------------------------------

    def order_code(self, i: int) -> str:
        if i >= self.n_orders:
            year = self._anchor_year
        else:
            year = time.gmtime(self.order_creation(i) + 3600).tm_year
            if year not in self._year_first:
                year = min(max(year, min(self._year_first)), max(self._year_first))
        seq = i - self._year_first[year] + 1
        return f"{year}{seq:0{self._code_width}d}"

    def order_index(self, code: str) -> int | None:
        """Index of an order code (base or created), None when it cannot be one of ours."""
        if len(code) < 5 or not code.isdigit():
            return None
        year, seq = int(code[:4]), int(code[4:])
        if year not in self._year_first or len(code) != 4 + self._code_width or seq < 1:
            return None
        i = self._year_first[year] + seq - 1
        if self.order_code(i) != code:
            return None
        return i

    def customer_guid(self, i: int) -> str:
        return _guid(random.Random(self._k["c"] ^ (i + 7)), i)

    def customer_index(self, guid: str) -> int | None:
        try:
            i = int(guid[-12:], 16)
        except ValueError:
            return None
        return i if self.customer_guid(i) == guid else None

    def product_guid(self, p: int) -> str:
        return _guid(random.Random(self._k["p"] ^ (p + 7) ^ 0x5A5A), p)

    def product_index(self, guid: str) -> int | None:
        try:
            p = int(guid[-12:], 16)
        except ValueError:
            return None
        return p if self.product_guid(p) == guid else None

    @staticmethod
    def variant_code(p: int, k: int, nvar: int) -> str:
        return f"{p + 1:05d}" if nvar == 1 else f"{p + 1:05d}-{k + 1}"

    @staticmethod
    def product_of_code(code: str) -> int | None:
        head = code.split("-", 1)[0]
        return int(head) - 1 if head.isdigit() and len(head) >= 5 else None

    # -- people --------------------------------------------------------------------------------

    def _person(self, rng: random.Random, email_tag: str) -> dict[str, Any]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if first.endswith("a"):
            last = _feminine(last)
        city, zip_code = rng.choice(CITIES)
        country = "SK" if city in ("Bratislava", "Košice") else "CZ"
        company = rng.random() < 0.1
        local = f"{ascii_lower(first)}.{ascii_lower(last)}.{email_tag}"
        if rng.random() < 0.05:
            local = local.capitalize()
        return {
            "first": first,
            "last": last,
            "fullName": f"{first} {last}",
            "city": city,
            "zip": zip_code,
            "countryCode": country,
            "street": rng.choice(STREETS),
            "houseNumber": str(rng.randint(1, 250)),
            "email": f"{local}@{rng.choice(DOMAINS)}",
            "phone": ("+421" if country == "SK" else "+420") + str(rng.randint(600000000, 799999999)),
            "company": f"{last} {rng.choice(['s.r.o.', 'a.s.', 'v.o.s.'])}" if company else None,
            "companyId": str(rng.randint(10000000, 99999999)) if company else None,
        }

    @staticmethod
    def billing_address(p: dict[str, Any]) -> dict[str, Any]:
        return {
            "company": p["company"],
            "fullName": p["fullName"],
            "street": p["street"],
            "houseNumber": p["houseNumber"],
            "city": p["city"],
            "district": None,
            "additional": None,
            "zip": p["zip"],
            "countryCode": p["countryCode"],
            "regionName": None,
            "regionShortcut": None,
            "companyId": p["companyId"],
            "vatId": f"{p['countryCode']}{p['companyId']}" if p["companyId"] else None,
            "vatIdValidationStatus": "verified" if p["companyId"] else None,
            "taxId": None,
        }

    def _delivery_address(self, rng: random.Random, p: dict[str, Any]) -> dict[str, Any]:
        city, zip_code = rng.choice(CITIES)
        return {
            "company": None,
            "fullName": p["fullName"],
            "street": rng.choice(STREETS),
            "houseNumber": str(rng.randint(1, 250)),
            "city": city,
            "district": None,
            "additional": None,
            "zip": zip_code,
            "countryCode": "SK" if city in ("Bratislava", "Košice") else "CZ",
            "regionName": None,
            "regionShortcut": None,
        }

    def customer_person(self, i: int) -> dict[str, Any]:
        rng = random.Random(self._k["c"] ^ (i + 7))
        rng.getrandbits(80)  # the guid's draw
        return self._person(rng, str(i + 1))

    def guest_person(self, g: int) -> dict[str, Any]:
        return self._person(random.Random(self._k["g"] ^ (g + 7)), f"g{g + 1}")

    def customer_change(self, i: int) -> int:
        """changeTime of base customer i without making the whole customer."""
        rng = random.Random(self._k["c"] ^ (i + 7))
        _guid(rng, i)
        self._person(rng, str(i + 1))
        return self._change(rng, self.customer_creation(i))

    def customer(self, i: int) -> dict[str, Any]:
        """Customer detail (``data.customer``) of base customer i."""
        rng = random.Random(self._k["c"] ^ (i + 7))
        guid = _guid(rng, i)
        p = self._person(rng, str(i + 1))
        created = self.customer_creation(i)
        changed = self._change(rng, created)
        no_creation = rng.random() < 0.03  # old accounts: creationTime null
        delivery = []
        if rng.random() < 0.2:
            addr = self._delivery_address(rng, p)
            addr = {"guid": _guid(rng, i ^ 0xFFFFFF), **addr, "isDefault": True}
            delivery.append(addr)
        group = rng.random()
        accounts = [
            {
                "guid": _guid(rng, i ^ 0xABCDEF),
                "fullName": p["fullName"],
                "email": p["email"],
                "phone": p["phone"],
                "mainAccount": True,
                "authorized": True,
                "emailVerified": rng.random() < 0.8,
            }
        ]
        if rng.random() < 0.04:  # a second, non-main account with its own e-mail
            accounts.append(
                {
                    "guid": _guid(rng, i ^ 0xBCDEF0),
                    "fullName": None,
                    "email": f"buyer{i + 1}@{p['email'].split('@', 1)[1]}",
                    "phone": None,
                    "mainAccount": False,
                    "authorized": rng.random() < 0.5,
                    "emailVerified": False,
                }
            )
        birth = fmt_date(self.start - rng.randint(18 * 365, 70 * 365) * DAY) if rng.random() < 0.15 else None
        return {
            "guid": guid,
            "billingAddress": self.billing_address(p),
            "deliveryAddress": delivery,
            "creationTime": None if no_creation else fmt_dt(created),
            "changeTime": fmt_dt(changed),
            "customerGroup": {"id": 2, "name": "VIP"}
            if group < 0.05
            else ({"id": 1, "name": "Registrovaní"} if group < 0.6 else None),
            "priceList": None,
            "remark": None,
            "priceRatio": "0.9500" if group < 0.05 else "1.0000",
            "birthDate": birth,
            "accounts": accounts,
            "disabledOrders": rng.random() < 0.005,
            "remarks": [],
            "adminUrl": f"{self.admin}/zakaznici-detail?id={i + 1}",
        }

    def customer_list_item(self, c: dict[str, Any]) -> dict[str, Any]:
        bill = c.get("billingAddress") or {}
        return {
            "guid": c["guid"],
            "creationTime": c.get("creationTime"),
            "changeTime": c.get("changeTime"),
            "billCompany": bill.get("company"),
            "billFullName": bill.get("fullName"),
            "adminUrl": c.get("adminUrl"),
        }

    # -- catalogue ---------------------------------------------------------------------------

    def product(self, p: int, *, feed_sections: bool = True) -> dict[str, Any]:
        """Product detail (``data`` itself) of base product p, with its variants; without
        ``feed_sections`` the fields only feeds read are left out (the catalogue index is
        built faster)."""
        rng = random.Random(self._k["p"] ^ (p + 7) ^ 0x5A5A)
        guid = _guid(rng, p)
        r = rng.random()
        nvar = 1 if r < 0.55 else (rng.randint(2, 3) if r < 0.85 else rng.randint(4, 6))
        noun, adj = rng.choice(NOUNS), rng.choice(ADJECTIVES)
        name = f"{noun} {adj} {p + 1}"
        brand_code, brand_name = rng.choice(BRANDS)
        category = rng.choice(CATEGORIES)
        cat_guid = _guid(random.Random(_key("category", category)), CATEGORIES.index(category))
        created = self.start + int(rng.random() * (HISTORY_DAYS - 30) * DAY)
        changed = self._change(rng, created)
        vat = 21 if rng.random() < 0.85 else (12 if rng.random() < 0.8 else 0)
        base_price = max(19, int(math.exp(rng.gauss(6.0, 1.0))))
        base_price = (base_price // 10) * 10 + 9 if base_price > 30 else base_price
        supplier = rng.choice(SUPPLIERS) if rng.random() < 0.4 else None
        params = rng.choice(["color", "size"]) if nvar > 1 else None
        variants = []
        for k in range(nvar):
            price = base_price * 100 + (k * 1000 if params == "size" and k > 2 else 0)
            weight = rng.randint(50, 5000)
            if params == "color":
                raw, shown = COLORS[k % len(COLORS)]
                parameters = [
                    {
                        "paramName": "Barva",
                        "paramIndex": "color",
                        "paramValue": shown,
                        "displayName": None,
                        "rawValue": raw,
                        "color": None,
                        "image": None,
                        "valuePriority": k + 1,
                    }
                ]
                vname = f"Barva: {shown}"
            elif params == "size":
                size = SIZES[k % len(SIZES)]
                parameters = [
                    {
                        "paramName": "Velikost",
                        "paramIndex": "size",
                        "paramValue": size,
                        "displayName": None,
                        "rawValue": size.lower(),
                        "color": None,
                        "image": None,
                        "valuePriority": k + 1,
                    }
                ]
                vname = f"Velikost: {size}"
            else:
                parameters, vname = [], None
            has_action = rng.random() < 0.05
            variants.append(
                {
                    "code": self.variant_code(p, k, nvar),
                    "ean": str(rng.randint(10**12, 10**13 - 1)) if rng.random() < 0.7 else None,
                    "stock": amount(rng.randint(0, 200) * 1000),
                    "unit": "ks",
                    "weight": amount(weight),
                    "width": None,
                    "height": None,
                    "depth": None,
                    "visible": True,
                    "price": money(price),
                    "commonPrice": money(price * 12 // 10) if rng.random() < 0.2 else None,
                    "purchasePrice": money(price * rng.randint(40, 70) // 100) if supplier else None,
                    "manufacturerCode": None,
                    "pluCode": None,
                    "isbn": None,
                    "serialNo": None,
                    "mpn": None,
                    "includingVat": True,
                    "vatRate": f"{vat}.00",
                    "currencyCode": "CZK",
                    "minStockSupply": amount(5000) if rng.random() < 0.3 else None,
                    "actionPrice": {"price": money(price * 9 // 10), "fromDate": None, "toDate": None}
                    if has_action
                    else None,
                    "image": None,
                    "isProductDefaultImage": True,
                    "name": vname,
                    "amountDecimalPlaces": 0,
                    "parameters": parameters,
                    "measureUnit": None,
                    "availability": None,
                    "availabilityWhenSoldOut": None,
                    "negativeStockAllowed": "yes-global",
                    "recyclingFee": None,
                    "consumptionTax": None,
                }
            )
        return {
            "guid": guid,
            "type": "product",
            "name": name,
            "indexName": ascii_lower(name).replace(" ", "-"),
            "brand": {"code": brand_code, "name": brand_name} if brand_code else None,
            "supplier": {"guid": _guid(random.Random(_key("s", supplier)), SUPPLIERS.index(supplier)), "name": supplier}
            if supplier
            else None,
            "visibility": "visible" if rng.random() < 0.95 else "hidden",
            "creationTime": fmt_dt(created),
            "changeTime": fmt_dt(changed),
            "shortDescription": None,
            "description": f"<p>{name}: kvalitní zboží.</p>",
            "metaDescription": None,
            "url": f"{self.web}/{ascii_lower(name).replace(' ', '-')}/",
            "conditionGrade": None,
            "conditionDescription": None,
            "internalNote": None,
            "hsCode": None,
            "defaultCategory": {"guid": cat_guid, "name": category, "visible": True},
            "categories": [{"guid": cat_guid, "name": category, "parentGuid": None}],
            "descriptiveParameters": [],
            "additionalName": None,
            "metaTitle": None,
            "adult": False,
            "voteAverageScore": None,
            "voteCount": None,
            "isVariant": nvar > 1,
            "variants": variants,
            **(self._feed_sections(p, guid, name, noun, category, cat_guid, variants) if feed_sections else {}),
        }

    def _feed_sections(
        self, p: int, guid: str, name: str, noun: str, category: str, cat_guid: str, variants: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The fields marketplace feeds read (xmlFeedName, images, the category tree, descriptive
        parameters; per variant the Heureka / Zbozi.cz fields), from their own random stream so the
        rest of the product stays as it was. The variants are completed in place. The include=
        sections are all present: shape_product() drops those a request did not ask for."""
        rng = random.Random(self._k["p"] ^ (p + 7) ^ 0xFEED5)
        sub_name = f"{category} {noun}"
        sub_guid = _guid(random.Random(_key("subcategory", sub_name)), CATEGORIES.index(category) * 100 + 1)
        nimg = 0 if rng.random() < 0.05 else rng.randint(1, 4)
        images = [
            {
                "name": f"{p + 1}_{k}.jpg",
                "seoName": f"{p + 1}_{k}_{ascii_lower(name).replace(' ', '-')}.jpg",
                "cdnName": f"{p + 1}_{k}_{ascii_lower(name).replace(' ', '-')}.jpg?ff=1&x=1024&y=768",
                "signedCdnNames": None,
                "priority": k,
                "description": None,
                "changeTime": None,
                "isMainImage": k == 1,
                "gallery": "shop",
            }
            for k in range(1, nimg + 1)
        ]
        for v in variants:
            excluded = rng.random() < 0.02
            cpc = rng.choice((None, None, "1.20", "2.50"))
            v["heurekaCPC"] = cpc
            v["heureka"] = {"feedExcluded": excluded, "cartExcluded": False}
            v["zboziCZ"] = {"maximalCPC": cpc, "maximalSearchCPC": None, "hidden": rng.random() < 0.02}
            v["availabilityWhenSoldOut"] = {"id": 3, "name": "Do 14 dnů"}
        return {
            "xmlFeedName": f"{name} ({BRAND_FEED_SUFFIX})" if rng.random() < 0.1 else None,
            "images": images,
            "categories": [
                {"guid": cat_guid, "name": category, "parentGuid": None},
                {"guid": sub_guid, "name": sub_name, "parentGuid": cat_guid},
            ],
            "descriptiveParameters": [
                {
                    "name": "Materiál",
                    "value": rng.choice(("bavlna", "dřevo", "kov", "plast")),
                    "description": None,
                    "priority": 1,
                }
            ],
            "flags": [{"code": "action", "title": "Akce", "dateFrom": None, "dateTo": None}]
            if rng.random() < 0.1
            else [],
        }

    @staticmethod
    def product_list_item(prod: dict[str, Any]) -> dict[str, Any]:
        return {
            "guid": prod["guid"],
            "name": prod.get("name"),
            "type": prod.get("type"),
            "url": prod.get("url"),
            "visibility": prod.get("visibility"),
            "creationTime": prod.get("creationTime"),
            "changeTime": prod.get("changeTime"),
            "brand": prod.get("brand"),
            "supplier": prod.get("supplier"),
            "defaultCategory": prod.get("defaultCategory"),
            "mainImage": None,
            "voteAverageScore": None,
            "voteCount": None,
            "preauthorizationRequired": False,
        }

    # -- orders ------------------------------------------------------------------------------

    def customer_window(self, c: int) -> tuple[int, int]:
        """(start, end) of customer c's active time, epoch seconds: the customer orders only within
        it; its end is the churn point. The start is uniform from a year before the history to the
        anchor, the length exponential with a mean of a year (docs/analytics.md)."""
        h = _mix64(self._wsalt ^ c)
        u_start = (h >> 11) / 9007199254740992.0
        u_len = (_mix64(h) >> 11) / 9007199254740992.0
        start = self.start - ACTIVE_MEAN + int(u_start * (self.anchor - self.start + ACTIVE_MEAN))
        return start, start + int(-ACTIVE_MEAN * math.log(1.0 - u_len))

    def _order_customer(self, rng: random.Random, i: int, created: int) -> tuple[int | None, int | None]:
        """(customer index, guest number) of order i created at ``created``: one of them is None.

        A third are guest orders. Else a registered customer is drawn by the power law of order
        counts (their weight: how often they order while active) until one is active at
        ``created`` (customer_window), at most CUSTOMER_TRIES draws; the first draw comes from
        ``rng``, the others from a hash of the order, so ``rng`` is used the same either way. No
        active customer drawn: a guest order."""
        if rng.random() < 1 / 3:
            return None, int(self.n_guests * rng.random() ** 1.3)
        u = rng.random()
        h = _mix64(self._osalt ^ i)
        for _ in range(CUSTOMER_TRIES):
            c = (int(self.n_customers * u**1.6) * self._cmul + self.seed) % self.n_customers
            start, end = self.customer_window(c)
            if start <= created <= end:
                return c, None
            h = _mix64(h)
            u = (h >> 11) / 9007199254740992.0
        return None, int(self.n_guests * u**1.3)

    def _buyer(self, customer: int | None, guest: int | None) -> dict[str, Any]:
        """The person of an order: its registered customer, else its guest (_order_customer gives one)."""
        if customer is not None:
            return self.customer_person(customer)
        assert guest is not None, "an order has a customer or a guest"
        return self.guest_person(guest)

    def _status(self, rng: random.Random, created: int) -> int:
        recent = created > self.anchor - 14 * DAY
        r = rng.random()
        for sid, _name, old_w, new_w in STATUSES:
            r -= new_w if recent else old_w
            if r < 0:
                return sid
        return -3

    def order_head(self, i: int) -> OrderHead:
        rng = random.Random(self._k["o"] ^ (i + 7))
        created = self.order_creation(i)
        changed = self._change(rng, created)
        customer, guest = self._order_customer(rng, i, created)
        status = self._status(rng, created)
        email = self._buyer(customer, guest)["email"]
        return OrderHead(i, created, changed, status, customer, email)

    def order(self, i: int, *, created: int | None = None, status: int | None = None) -> dict[str, Any]:
        """Order detail (``data.order``) of order i; ``created`` / ``status`` override for orders made by mutate."""
        rng = random.Random(self._k["o"] ^ (i + 7))
        if created is None:
            created = self.order_creation(i)
            changed = self._change(rng, created)
        else:
            self._change(rng, created)
            changed = created
        customer, guest = self._order_customer(rng, i, created)
        st = self._status(rng, created)
        if status is not None:
            st = status
        person = self._buyer(customer, guest)
        code = self.order_code(i)
        eur = rng.random() < 0.12
        day = (created - self.start) // DAY
        rate = (
            int((25.0 + 0.8 * math.sin(day / 60.0) + 0.3 * math.sin(day / 7.0)) * 100_000_000) if eur else 100_000_000
        )
        items: list[dict[str, Any]] = []
        item_id = i * 32 + 1
        status_obj = {"id": st, "name": STATUS_NAMES.get(st)}

        def conv(czk_cents: int) -> int:
            return czk_cents if not eur else (czk_cents * 100_000_000 * 2 // rate + 1) // 2

        def line(item_type: str, name: str, unit_cents: int, qty: int, vat: int, **extra: Any) -> dict[str, Any]:
            nonlocal item_id
            total = unit_cents * qty
            item = {
                "itemId": item_id,
                "itemType": item_type,
                "productType": None,
                "productGuid": None,
                "code": None,
                "ean": None,
                "name": name,
                "variantName": None,
                "brand": None,
                "remark": None,
                "weight": "0.000",
                "additionalField": None,
                "amount": amount(qty * 1000),
                "amountUnit": "ks",
                "priceRatio": "1.0000",
                "status": status_obj,
                "itemPrice": price_block(total, vat),
                "unitPrice": price_block(unit_cents, vat),
                "displayPrices": [price_block(total, vat)],
                "purchasePrice": None,
                "recyclingFee": None,
                "supplierName": None,
                "warrantyDescription": None,
                "amountCompleted": amount(qty * 1000) if st == -3 else "0.000",
            }
            item.update(extra)
            item_id += 1
            items.append(item)
            return item

        nv = len(self.variants)
        n_lines = min(12, 1 + int(rng.expovariate(1 / 3.05)))
        products_total = 0
        weight_total = 0
        for _ in range(n_lines):
            v = self.variants[(int(nv * rng.random() ** 2.0) * self._vmul + self.seed) % nv]
            qty = 1 if rng.random() < 0.8 else rng.randint(2, 4)
            unit = conv(v.price)
            products_total += unit * qty
            weight_total += v.weight * qty
            line(
                "product",
                v.name,
                unit,
                qty,
                v.vat_rate,
                productType="product",
                productGuid=self.product_guid(v.product),
                code=v.code,
                ean=v.ean,
                variantName=v.variant_name,
                brand=v.brand,
                weight=amount(v.weight * qty),
                purchasePrice=price_block(conv(v.purchase), v.vat_rate) if v.purchase is not None else None,
            )
        extra = rng.random()
        if extra < 0.02:
            v = self.variants[int(nv * rng.random())]
            line(
                "gift",
                v.name,
                0,
                1,
                v.vat_rate,
                productType="product",
                productGuid=self.product_guid(v.product),
                code=v.code,
                ean=v.ean,
                variantName=v.variant_name,
                brand=v.brand,
                weight=amount(v.weight),
            )
        elif extra < 0.035:
            line("service", "Dárkové balení", conv(4900), 1, 21)
        elif extra < 0.05 and products_total > 0:
            line("volume-discount", "Množstevní sleva 5 %", -(products_total * 5 // 100), 1, 21)
        if rng.random() < 0.28:
            if products_total > conv(100000) and rng.random() < 0.5:
                line("discount-coupon", "Slevový kupón SLEVA100", -conv(10000), 1, 21)
            else:
                line("discount-coupon", "Slevový kupón SLEVA10", -(products_total // 10), 1, 21)
        ship_suffix, ship_name, ship_price = SHIPPINGS[min(int(rng.random() ** 1.5 * len(SHIPPINGS)), 4)]
        if products_total >= conv(150000):
            ship_price = 0
        ship_item = line("shipping", ship_name, conv(ship_price), 1, 21, amountUnit=None)
        if ship_name == "Osobní odběr":
            bill = BILLINGS[3] if rng.random() < 0.5 else BILLINGS[2]
        else:
            bill = BILLINGS[min(int(rng.random() * 3), 2)]
        bill_id, bill_suffix, bill_name, bill_price = bill
        bill_item = line("billing", bill_name, conv(bill_price), 1, 21, amountUnit=None)
        shipping = {"guid": f"5b1f0e3c-0000-4000-8000-0000000000{ship_suffix}", "name": ship_name}
        payment = {"guid": f"5b1f0e3c-0000-4000-8000-0000000000{bill_suffix}", "name": bill_name}

        with_vat = sum(_cents(it["itemPrice"]["withVat"]) for it in items)
        without = sum(_cents(it["itemPrice"]["withoutVat"]) for it in items)
        paid = st != CANCELLED_STATUS and (bill_id == 4 or st in (-3, 1) or rng.random() < 0.3)
        delivery = None if rng.random() < 0.82 else self._delivery_address(rng, person)
        old = i < self.n_orders * 0.04 and rng.random() < 0.5
        guid = None if old else _guid(rng, i)
        ip = f"{rng.randint(31, 213)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return {
            "code": code,
            "guid": guid,
            "externalCode": None,
            "creationTime": fmt_dt(created),
            "changeTime": fmt_dt(changed),
            "fullName": person["fullName"],
            "company": person["company"],
            "email": person["email"],
            "phone": person["phone"],
            "birthDate": None,
            "clientIPAddress": ip,
            "remark": "Prosím zvonit." if rng.random() < 0.03 else None,
            "customerGuid": self.customer_guid(customer) if customer is not None else None,
            "cashDeskOrder": False,
            "stockId": 1,
            "addressesEqual": delivery is None,
            "vatPayer": True,
            "vatMode": "Normal",
            "billingMethod": {"id": bill_id, "name": BILLING_METHOD_NAMES[bill_id]},
            "paymentMethod": payment,
            "shipping": shipping,
            "adminUrl": f"{self.admin}/objednavky-detail?id={i + 1}",
            "status": status_obj,
            "source": {"id": -1, "name": "E-shop"},
            "salesChannelGuid": None,
            "price": {
                "vat": money(with_vat - without),
                "toPay": money(with_vat),
                "currencyCode": "EUR" if eur else "CZK",
                "withoutVat": money(without),
                "withVat": money(with_vat),
                "exchangeRate": rate8(rate),
                "invoicingExchangeRate": rate8(rate),
                "partialPaymentAmount": None,
                "partialPaymentType": None,
            },
            "paid": paid,
            "preAuthorization": None,
            "billingAddress": self.billing_address(person),
            "deliveryAddress": delivery,
            "onlinePaymentLink": f"{self.web}/objednavka/platba/{code}/" if bill_id == 4 and not paid else None,
            "language": "sk" if person["countryCode"] == "SK" else "cs",
            "referer": None,
            "paymentMethods": [{"paymentMethod": payment, "itemId": bill_item["itemId"]}],
            "shippings": [{"shipping": shipping, "itemId": ship_item["itemId"]}],
            "shippingDetails": None,
            "weight": amount(weight_total),
            "items": items,
        }


ORDER_LIST_FIELDS = (
    "code",
    "guid",
    "creationTime",
    "changeTime",
    "fullName",
    "company",
    "email",
    "phone",
    "remark",
    "customerGuid",
    "cashDeskOrder",
    "adminUrl",
    "status",
    "source",
    "shipping",
    "paymentMethod",
    "price",
    "paid",
    "preAuthorization",
    "salesChannelGuid",
)


def order_list_item(order: dict[str, Any]) -> dict[str, Any]:
    """The list form of an order: no items, no addresses."""
    return {k: order.get(k) for k in ORDER_LIST_FIELDS}


def _feminine(last: str) -> str:
    if last.endswith("ý"):
        return last[:-1] + "á"
    if last.endswith("a"):
        return last[:-1] + "ová"
    if last.endswith("ek"):
        return last[:-2] + "ková"
    return last + "ová"


@overload
def _cents(text: str) -> int: ...
@overload
def _cents(text: None) -> None: ...
def _cents(text: str | None) -> int | None:
    if text is None:
        return None
    neg = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((frac + "00")[:2])
    return -value if neg else value


def _grams(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 1000 + int((frac + "000")[:3])


def _year_start(year: int) -> int:
    """UTC timestamp of Jan 1 00:00 Prague time (winter: +0100)."""
    import calendar

    return calendar.timegm((year, 1, 1, 0, 0, 0)) - 3600


cents = _cents


# the product detail's sections on demand (include=...) and what each adds (Shoptet OpenAPI
# getProductDetail "Section on demand"); variantParameters also adds the variants' name
PRODUCT_SECTIONS = {
    "images": ("images",),
    "allcategories": ("categories",),
    "descriptiveparameters": ("descriptiveParameters",),
    "flags": ("flags",),
}


def shape_product(doc: dict[str, Any], include: str | None) -> dict[str, Any]:
    """The product as a request with ``include`` (comma separated, case-insensitive) gets it: the
    sections it did not ask for are left out, as Shoptet does."""
    if not isinstance(doc, dict):
        return doc
    asked = {part.strip().lower() for part in (include or "").split(",") if part.strip()}
    drop = [key for section, keys in PRODUCT_SECTIONS.items() if section not in asked for key in keys]
    if not drop and "variantparameters" in asked:
        return doc
    out = {k: v for k, v in doc.items() if k not in drop}
    variants = doc.get("variants")
    if "variantparameters" not in asked and isinstance(variants, list):  # an odd document stays as it is
        out["variants"] = [
            {k: v for k, v in variant.items() if k not in ("parameters", "name")}
            if isinstance(variant, dict)
            else variant
            for variant in variants
        ]
    return out
