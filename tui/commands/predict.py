"""`nntrain predict MODEL.npz INPUT...`: a saved model's classes for images or data files."""

from __future__ import annotations

import argparse
import json
import sys

from ..errors import UserError


def run(args: argparse.Namespace) -> int:
    from core import load_checkpoint
    from core.predict import PredictError, gather, predict_items

    if args.top < 1:
        raise UserError(f"--top {args.top}: give at least 1")
    ckpt = load_checkpoint(args.model)
    names = ckpt.class_names or tuple(str(k) for k in range(ckpt.sizes[-1]))
    try:
        items = gather(args.inputs, ckpt)
    except PredictError as error:
        raise UserError(str(error)) from None
    net = ckpt.default_network()
    top_k = min(args.top, len(names))
    failed: list[str] = []

    def on_error(path, reason: str) -> None:
        failed.append(str(path))
        print(f"nntrain predict: {path}: cannot read image ({reason})", file=sys.stderr)

    right = known = 0
    try:
        for p in predict_items(items, ckpt, net, on_error):
            top = p.top(top_k)
            if p.true is not None:
                known += 1
                right += p.predicted == p.true
            if args.json:
                record = {
                    "input": p.input,
                    "predicted": names[p.predicted],
                    "probability": round(float(p.probabilities[p.predicted]), 6),
                    "top": [{"class": names[k], "probability": round(prob, 6)} for k, prob in top],
                    "notes": list(p.notes),
                }
                if p.true is not None:
                    record["true"] = names[p.true]
                print(json.dumps(record))
                continue
            tops = ", ".join(f"{names[k]} {100 * prob:.1f}%" for k, prob in top)
            line = f"{p.input}  {names[p.predicted]}  {p.probabilities[p.predicted]:.3f}  top-{top_k}: {tops}"
            if p.true is not None:
                line += f"  (true: {names[p.true]}{'' if p.predicted == p.true else ', wrong'})"
            if p.notes:
                line += "  [" + "; ".join(p.notes) + "]"
            print(line)
    except PredictError as error:
        raise UserError(str(error)) from None
    if known and not args.json:
        print(f"accuracy {100 * right / known:.2f}% ({right} of {known} with a known class)")
    if failed:
        print(f"nntrain predict: {len(failed)} input(s) could not be read", file=sys.stderr)
        return 2
    return 0
