"""The `zoo` command line.

    zoo list [PATTERN] [--family F] [--domain D] [--pretrained]
    zoo info NAME
    zoo demo

`list` and `info` never import TensorFlow, so they answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys

from zoo import registry


def _format_params(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}K"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    names = registry.list_models(args.pattern, family=args.family, domain=args.domain, pretrained=args.pretrained)
    if args.pretrained:
        from zoo import checkpoints

        by_name = {c.name: c for c in checkpoints.available()}
        rows = [[n, by_name[n].model, _headline(by_name[n].metrics)] for n in names]
        print(_table(rows, ["checkpoint", "model", "metric (held-out)"]) if rows else "No checkpoints match.")
        return 0
    rows = []
    for n in names:
        e = registry.get_entry(n)
        rows.append([n, e.family.name, ",".join(e.domains), registry.format_shape(e.input_shape), _format_params(e.params)])
    if not rows:
        print(f"No models match {args.pattern!r}. `zoo list` shows them all.")
        return 0
    print(_table(rows, ["name", "family", "domains", "input", "params"]))
    print(f"\n{len(rows)} models. `zoo info NAME` shows one.")
    return 0


def _headline(metrics: dict) -> str:
    if not metrics:
        return "-"
    key = next(iter(metrics))
    return f"{key}={metrics[key]:.4f}"


def cmd_info(args: argparse.Namespace) -> int:
    print(registry.model_info(args.name))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from applications import demo

    demo.registry_tour(epochs=args.epochs, seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="A Keras 3 model zoo: list, inspect and build models by name.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list registered models (or checkpoints)")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style wildcard, e.g. 'resnet*'")
    p.add_argument("--family", help="only this family (mlp, cnn, resnet, rnn, transformer)")
    p.add_argument("--domain", help=f"only models for this domain ({', '.join(registry.DOMAINS)})")
    p.add_argument("--pretrained", action="store_true", help="list checkpoints (model.tag) instead")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("info", help="show a model's card")
    p.add_argument("name")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("demo", help="a tour: list the registry, train a model on the bundled digits")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    args = build_parser().parse_args(argv)
    import zoo  # noqa: F401  (registers the built-in families)

    try:
        return args.func(args)
    except ValueError as err:  # a user's mistake (UnknownModelError too): one clear line, no traceback
        print(f"zoo {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
