"""`hub sandbox`: a local fake Shoptet API with generated data (runner/sandbox/: sandbox.py serves
it, generator.py makes the data, odd_inputs.py the odd documents of docs/data-quality.md)."""

from __future__ import annotations

import argparse

from runner.commands.common import Subparsers, add_bind_options, add_command, add_group
from runner.config import Config
from runner.errors import CommandError

DEFAULT_SHOPS = [900101]


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "sandbox",
        help="a local fake Shoptet API with generated data (demo, tests, benchmarks)",
        description="A local fake Shoptet API faithful to the real one: envelope, paging, tokens, "
        "rate limits, snapshot jobs (gzip JSON Lines), signed webhooks, fault switches "
        "under /_sandbox/.",
    )
    p = add_command(
        sub,
        "serve",
        cmd_sandbox_serve,
        help="run the sandbox until Ctrl-C; prints its URL, shop ids and tokens",
        description="Serve the sandbox API, its OAuth server and result files on one port. Data are "
        "generated from (--seed, --scale): scale 1.0 is 1.4 M orders, 661 k customers, "
        "13 k variants per shop. Unmutated snapshot files are cached under --data-dir.",
    )
    p.set_defaults(default_log_level="INFO")  # a server: its log is its output
    add_bind_options(p, port=8900)
    p.add_argument("--scale", type=float, default=0.01, help="data size, 1.0 = seeds size")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    p.add_argument("--shops", metavar="ID,ID", help=f"eshopIds to serve (default {','.join(map(str, DEFAULT_SHOPS))})")
    p.add_argument("--data-dir", default=".hub/sandbox", help="cache of snapshot files")
    p.add_argument(
        "--job-seconds", type=float, default=1.0, help="how long a snapshot job takes at least, pending then running"
    )
    p.add_argument(
        "--odd-inputs",
        action="store_true",
        help="add odd-but-valid documents real shops send (e-mails with spaces, upper-case or empty "
        "GUIDs, a year 2206, code E-2025-00488; see docs/data-quality.md) to every shop",
    )
    p.add_argument(
        "--timezone",
        action="append",
        metavar="ESHOPID=ZONE",
        help="the settings.timezone GET /api/eshop serves for a shop (default Europe/Prague; empty: left "
        "out; repeat per shop), e.g. 900102=Europe/Budapest",
    )
    p.add_argument(
        "--languages",
        action="append",
        metavar="ESHOPID=L,L",
        help="a shop's languages, the default first (more than one: the Foreign languages module is on: "
        "languages[] on GET /api/eshop, ?language= on products); repeat per shop, e.g. 900102=sk,en",
    )


def _timezones(specs: list[str], shops: list[int]) -> dict[int, str | None]:
    """``--timezone ESHOPID=ZONE`` options as {eshopId: zone}; an empty zone is None (left out)."""
    timezones: dict[int, str | None] = {}
    for spec in specs:
        eshop, sep, zone = spec.partition("=")
        if not sep or not eshop.strip().isdigit():
            raise CommandError(f"--timezone {spec!r}: expected ESHOPID=ZONE, e.g. 900102=Europe/Bucharest")
        if int(eshop) not in shops:
            raise CommandError(f"--timezone {spec!r}: shop {eshop} is not served (--shops)")
        timezones[int(eshop)] = zone.strip() or None
    return timezones


def _languages(specs: list[str], shops: list[int]) -> dict[int, list[str]]:
    """``--languages ESHOPID=L,L`` options as {eshopId: [codes]}, the default first."""
    out: dict[int, list[str]] = {}
    for spec in specs:
        eshop, sep, codes = spec.partition("=")
        langs = [c.strip().lower() for c in codes.split(",") if c.strip()]
        if not sep or not eshop.strip().isdigit() or not langs:
            raise CommandError(f"--languages {spec!r}: expected ESHOPID=L,L (the default first), e.g. 900102=sk,en")
        if int(eshop) not in shops:
            raise CommandError(f"--languages {spec!r}: shop {eshop} is not served (--shops)")
        out[int(eshop)] = langs
    return out


def cmd_sandbox_serve(cfg: Config, args: argparse.Namespace) -> int:
    from runner.sandbox import Sandbox

    shops = [int(s) for s in args.shops.split(",") if s.strip()] if args.shops else list(DEFAULT_SHOPS)
    timezones = _timezones(args.timezone or [], shops)
    sandbox = Sandbox(
        scale=args.scale,
        seed=args.seed,
        shops=shops,
        data_dir=args.data_dir,
        job_seconds=args.job_seconds,
        timezones=timezones,
        languages=_languages(args.languages or [], shops),
    )
    if args.port == 0:  # a free port, chosen now so that it can be printed
        import socket

        with socket.socket() as probe:
            probe.bind((args.host, 0))
            args.port = int(probe.getsockname()[1])
    if args.odd_inputs:
        for shop_id in sandbox.shops:
            sandbox.put_odd_inputs(shop_id)
    base = f"http://{args.host}:{args.port}"
    print(
        f"Shoptet sandbox on {base}  (scale {args.scale}, seed {args.seed}, data {args.data_dir})"
        + ("  with the odd inputs of docs/data-quality.md" if args.odd_inputs else "")
    )
    for shop in sandbox.shops.values():
        print(
            f"  shop {shop.eshop_id} ({shop.name}): Shoptet-Private-API-Token: {shop.private_token}  "
            f"(OAuth code: sandbox-code-{shop.eshop_id})"
        )
    print(f"  use: HUB_SHOPTET_API_URL={base}   control: {base}/_sandbox/shops   stop with Ctrl-C", flush=True)
    sandbox.serve(host=args.host, port=args.port)
    return 0
