"""`hub translate`: the translation workflow of product texts (runner/translations/; the workflow
itself in SQL, catalog.translation_* in db/functions/catalog/; docs/translations.md)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_shop_option,
    print_json,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError

FIELDS = ("name", "shortDescription", "description", "metaTitle", "metaDescription", "additionalName")
STATUSES = ("draft", "review", "approved", "synced", "stale", "failed")


def _by(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--by",
        default=os.environ.get("USER") or getpass.getuser(),
        metavar="NAME",
        help="who makes the change, kept in the history (default: your login name)",
    )


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "translate",
        help="translations of product texts: draft -> review -> approved -> synced",
        description="Translate the master shop's product texts into every language and shop: drafts "
        "(by hand, from the translation memory, from XLIFF or by machine translation) are "
        "reviewed, approved and pushed to Shoptet per shop and language. See docs/translations.md.",
    )
    p = add_command(
        sub,
        "status",
        cmd_translate_status,
        help="translations per master, language and state, and this month's machine-translation usage",
        description="Count translations per master shop, target language and state (a shop counts the "
        "translations it receives), and show this month's machine-translation characters and requests.",
    )
    add_shop_option(p, help="a master shop, or a shop receiving translations")
    p.add_argument("--language", metavar="L", help="one target language")
    add_json_option(p)

    p = add_command(
        sub,
        "worklist",
        cmd_translate_worklist,
        help="translations to work on in a language, with translation-memory suggestions",
        description="Translations of a language in the given state (default: draft, review, stale, failed) "
        "with the master's current source text and the best translation-memory match and its similarity "
        "(pg_trgm; at least the setting translations.memory_similarity, default 0.7).",
    )
    p.add_argument("--language", required=True, metavar="L", help="the target language")
    p.add_argument("--status", choices=STATUSES, help="only this state")
    add_shop_option(p, help="only this master shop")
    add_json_option(p)

    p = add_command(
        sub,
        "draft",
        cmd_translate_draft,
        help="write (or rewrite) one translation as a draft",
        description="Store a translation of one field of a master product as a draft. Without --text "
        "the translation memory's exact match is taken (an error when there is none).",
    )
    add_shop_option(p, required=True, help="the master shop")
    p.add_argument("--product", required=True, metavar="GUID", help="the master's product GUID")
    p.add_argument("--field", required=True, choices=FIELDS, help="the text field")
    p.add_argument("--language", required=True, metavar="L", help="the target language")
    p.add_argument("--text", help="the translated text (default: the memory's exact match)")
    p.add_argument(
        "--target-shop", type=int, metavar="ID", help="only for this shop (default: every shop of the master)"
    )
    _by(p)
    add_json_option(p)

    for action, helptext in (
        ("review", "send drafts to review"),
        ("approve", "approve translations in review"),
        ("reject", "send translations in review back to draft"),
    ):
        p = add_command(
            sub,
            action,
            {"review": cmd_translate_review, "approve": cmd_translate_approve, "reject": cmd_translate_reject}[action],
            help=helptext,
            description=f"{helptext[0].upper()}{helptext[1:]}: the ids given, or with --language all of that "
            "language in the starting state, in one transaction (an invalid transition of any refuses all).",
        )
        p.add_argument("ids", nargs="*", type=int, metavar="ID", help="translation ids (hub translate worklist)")
        p.add_argument("--language", metavar="L", help="every translation of this language in the starting state")
        add_shop_option(p, help="with --language: only this master shop")
        _by(p)
        add_json_option(p)

    p = add_command(
        sub,
        "export",
        cmd_translate_export,
        help="write translations of a language as XLIFF for a CAT tool",
        description="Write the translations of a language in the given states as XLIFF 1.2 (default) or 2.0, "
        "with the master's current source text; to standard output unless --output.",
    )
    p.add_argument("--language", required=True, metavar="L", help="the target language")
    p.add_argument(
        "--status", action="append", choices=STATUSES, help="states to export, repeatable (default: draft and stale)"
    )
    add_shop_option(p, help="only this master shop")
    p.add_argument("--format", choices=("1.2", "2.0"), default="1.2", help="XLIFF version")
    p.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")

    p = add_command(
        sub,
        "import",
        cmd_translate_import,
        help="read an XLIFF file back: changed targets become drafts",
        description="Read an XLIFF 1.2 or 2.0 file made by `hub translate export`: every unit whose target "
        "differs from the stored text becomes a draft with it; unchanged units change nothing. A malformed "
        "file is refused with its line and the reason and nothing is applied.",
    )
    p.add_argument("file", metavar="FILE", help="the XLIFF file ('-': standard input)")
    _by(p)
    add_json_option(p)

    p = add_command(
        sub,
        "sync",
        cmd_translate_sync,
        help="push approved texts of a shop to Shoptet now (or queue the job)",
        description="Push the shop's effective texts (overlay, else approved translation) that it does not "
        "have yet with PATCH /api/products/{guid}?language=L (or one batch job when there are many); a "
        "re-sync of unchanged texts sends nothing. Refusals mark translations failed with Shoptet's error.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("--queue", action="store_true", help="defer the job to the workers (queue translations)")
    add_json_option(p)

    p = add_command(
        sub,
        "pull",
        cmd_translate_pull,
        help="read a shop's product texts in a language from Shoptet into catalog.product_texts now",
        description="Read product details with ?language=L (GET /api/products/{guid}?language=L) and store "
        "their texts through the catalogue import's own path (same checks and warnings). Every import "
        "(snapshot, sync, webhooks) reads all the shop's languages by itself; this reads one language "
        "now, for the products given (default: all), e.g. right after a language was activated.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("--language", required=True, metavar="L", help="the language to read")
    p.add_argument("--product", action="append", metavar="GUID", help="a product, repeatable (default: all)")
    add_json_option(p)

    p = add_command(
        sub,
        "machine",
        cmd_translate_machine,
        help="machine-translate master texts into drafts (a provider must be enabled)",
        description="Translate fields of master products with the enabled machine-translation provider "
        "(setting translations.mt.provider; none by default) within its monthly character budget; the "
        "results are drafts. Without --product: the master's products without a translation of the field.",
    )
    add_shop_option(p, required=True, help="the master shop")
    p.add_argument("--language", required=True, metavar="L", help="the target language")
    p.add_argument("--product", action="append", metavar="GUID", help="a product, repeatable")
    p.add_argument("--field", action="append", choices=FIELDS, help="a field, repeatable (default: name)")
    p.add_argument("--limit", type=int, default=100, help="at most this many products without --product")
    _by(p)
    add_json_option(p)

    p = add_command(
        sub,
        "overlay",
        cmd_translate_overlay,
        help="set (or remove) a shop's own text for a master product field and language",
        description="A shop's overlay wins over the approved translation for that shop (catalog.effective_texts) "
        "and is pushed by `hub translate sync` like one.",
    )
    add_shop_option(p, required=True, help="the shop the overlay is for")
    p.add_argument("--product", required=True, metavar="GUID", help="the master's product GUID")
    p.add_argument("--field", required=True, choices=FIELDS, help="the text field")
    p.add_argument("--language", required=True, metavar="L", help="the language")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--text", help="the shop's text")
    group.add_argument("--remove", action="store_true", help="remove the overlay")
    _by(p)


def _conn(cfg: Config) -> Any:
    from runner.db import connect, target_for

    return connect(target_for(cfg), "app", autocommit=True)


def cmd_translate_status(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import workflow

    with _conn(cfg) as conn:
        result = workflow.status_counts(conn, shop_id=args.shop, language=args.language)
    if args.json:
        print_json(result)
        return 0
    print_table(
        result["counts"],
        [
            Column("master_shop_id", 14, ">"),
            Column("language", 8),
            Column("status", 8),
            Column("translations", None, ">"),
        ],
        as_json=False,
        empty="no translations",
    )
    usage = result["machine_translation"]
    if usage:
        print()
        print_table(
            usage,
            [
                Column("provider", 10),
                Column("shop_id", 10, ">"),
                Column("month", 7),
                Column("characters", 12, ">"),
                Column("requests", None, ">"),
            ],
            as_json=False,
            empty="",
        )
    else:
        print("machine translation: nothing used this month")
    return 0


def _short(value: Any, width: int = 40) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_translate_worklist(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import workflow

    with _conn(cfg) as conn:
        rows = workflow.worklist(conn, language=args.language, status=args.status, master_shop_id=args.shop)

    def note(row: Mapping[str, Any]) -> str | None:
        lines = []
        if row["status"] == "stale":
            lines.append(f"    source now: {_short(row['current_source'], 100)}")
        if row["memory_text"] is not None:
            lines.append(f"    memory ({row['memory_similarity']:.2f}): {_short(row['memory_text'], 100)}")
        if row["sync_error"]:
            lines.append(f"    sync error: {_short(row['sync_error'], 100)}")
        return "\n".join(lines) or None

    print_table(
        rows,
        [
            Column("id", 8, ">"),
            Column("status", 8),
            Column("product", 24, cell=lambda r: _short(r["product_name"] or r["product_guid"], 24)),
            Column("field", 16),
            Column("text", None, cell=lambda r: _short(r["text"], 60)),
        ],
        as_json=args.json,
        empty=f"nothing to do in {args.language}",
        note=note,
    )
    return 0


def cmd_translate_draft(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import workflow

    with _conn(cfg) as conn:
        tid = workflow.draft(
            conn,
            master_shop_id=args.shop,
            product_guid=args.product,
            field=args.field,
            language=args.language,
            text=args.text,
            changed_by=args.by,
            target_shop_id=args.target_shop,
        )
        warning = workflow.language_warning(conn, tid)
    if warning:
        print(f"warning: translation {tid}: {warning}", file=sys.stderr)
    if args.json:
        print_json({"id": tid, "status": "draft", "warning": warning}, compact=True)
    else:
        print(f"translation {tid}: draft")
    return 0


def _step(cfg: Config, args: argparse.Namespace, action: str) -> int:
    from runner.translations import workflow

    if not args.ids and not args.language:
        raise CommandError(f"hub translate {action}: give translation ids or --language")
    with _conn(cfg) as conn:
        moved = workflow.step(conn, action, list(args.ids), args.by, language=args.language, master_shop_id=args.shop)
    if args.json:
        print_json(moved)
    else:
        print(f"{len(moved)} translation(s) now {workflow.STEPS[action][1]}")
    return 0


def cmd_translate_review(cfg: Config, args: argparse.Namespace) -> int:
    return _step(cfg, args, "review")


def cmd_translate_approve(cfg: Config, args: argparse.Namespace) -> int:
    return _step(cfg, args, "approve")


def cmd_translate_reject(cfg: Config, args: argparse.Namespace) -> int:
    return _step(cfg, args, "reject")


def cmd_translate_export(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import xliff

    statuses = args.status or ["draft", "stale"]
    with _conn(cfg) as conn:
        data, units = xliff.export(
            conn,
            language=args.language,
            statuses=statuses,
            master_shop_id=args.shop,
            fmt=args.format,
        )
    if units == 0:
        # still a valid (empty) file, exit 0: but a person should not have to read XML to learn it
        of = f" of master {args.shop}" if args.shop is not None else ""
        print(
            f"no translations to {args.language.lower()}{of} in state {', '.join(statuses)}: the file has no units. "
            "A text is exported once it has a translation: make drafts with `hub translate machine` or "
            "`hub translate draft --text`; `hub translate status` counts them per state",
            file=sys.stderr,
        )
    if args.output:
        with open(args.output, "wb") as fh:
            fh.write(data)
        print(f"{units} unit(s) written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def cmd_translate_import(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import xliff

    if args.file == "-":
        data, where = sys.stdin.buffer.read(), "<stdin>"
    else:
        try:
            with open(args.file, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise CommandError(f"{args.file}: cannot read: {exc.strerror}") from None
        where = args.file
    with _conn(cfg) as conn:
        result = xliff.import_file(conn, data, changed_by=args.by, where=where)
    if args.json:
        print_json(result.as_dict(), compact=True)
    else:
        print(
            f"{where}: {result.units} unit(s): {result.changed} changed (now drafts), "
            f"{result.unchanged} unchanged, {result.empty} without a target"
        )
    return 0


def cmd_translate_sync(cfg: Config, args: argparse.Namespace) -> int:
    if args.queue:
        from runner.translations import sync

        with _conn(cfg) as conn:
            job_id = sync.defer(conn, args.shop)
        print(f"shop {args.shop}: translation sync job {job_id} waiting on queue translations")
        return 0
    from runner.shoptet.shop_client import client_for_shop
    from runner.translations import sync

    with _conn(cfg) as conn, client_for_shop(args.shop, cfg=cfg) as client:
        result = sync.sync_shop(conn, client, args.shop, publish=sync.publisher_for(cfg))
    if args.json:
        print_json(result.as_dict(), compact=True)
    else:
        print(sync.describe(result))
    return 1 if result.failed else 0


def cmd_translate_pull(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet.shop_client import client_for_shop
    from runner.translations import sync

    with _conn(cfg) as conn, client_for_shop(args.shop, cfg=cfg) as client:
        guids = args.product or sync.shop_products(conn, args.shop)
        changed = sync.read_texts(conn, client, args.shop, args.language, guids)
    if args.json:
        print_json({"shop_id": args.shop, "language": args.language, "products": len(guids), "texts_changed": changed})
    else:
        print(f"shop {args.shop} {args.language}: {len(guids)} product(s) read, {changed} text(s) changed")
    return 0


def cmd_translate_machine(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet.shop_client import open_settings
    from runner.translations import mt

    fields = args.field or ["name"]
    with _conn(cfg) as conn, open_settings(cfg) as settings:
        if args.product:
            items = [(g, f) for g in args.product for f in fields]
        else:
            items = mt.untranslated(conn, args.shop, args.language, fields, args.limit)
        result = mt.machine_translate(
            conn, settings, master_shop_id=args.shop, language=args.language, items=items, changed_by=args.by
        )
    if args.json:
        print_json(result.as_dict(), compact=True)
    else:
        print(
            f"{result.provider}: {len(result.drafted)} draft(s) in {args.language}, {result.characters} characters "
            f"in {result.requests} request(s)" + (f"; no source text: {len(result.skipped)}" if result.skipped else "")
        )
    return 0


def cmd_translate_overlay(cfg: Config, args: argparse.Namespace) -> int:
    from runner.translations import workflow

    with _conn(cfg) as conn:
        workflow.set_overlay(
            conn,
            shop_id=args.shop,
            product_guid=args.product,
            language=args.language,
            field=args.field,
            value=None if args.remove else args.text,
            changed_by=args.by,
        )
    print(f"shop {args.shop} {args.language} {args.field}: overlay {'removed' if args.remove else 'set'}")
    return 0
