"""`kerasdoc demo`: the walkthrough end to end on the bundled subset.

    kerasdoc demo --data data --out out

Loads and verifies the subset, scales pixels to [0, 1], diagnoses the fresh
baseline (Flatten, Dense(128, relu, he_normal), Dense(10, softmax); Adam,
sparse categorical cross-entropy), trains it (5 epochs, batch 32) with the
`Doctor` attached, and writes `report.html`, `report.json`,
`confusion_matrix.png`, `training_curves.png`, `top_losses.png`,
`gradient_flow.png`, `activations.png` and a few `single_prediction_<i>.png`
into the output folder. Exit code 1 when an
error-level finding exists.
"""

import os
import time

from kerasdoc._errors import InvalidInputError

__all__ = ["add_parser", "run"]

# The walkthrough shows predictions 12 and 32 (right) and 101 and 45 (wrong).
WALKTHROUGH_INDICES = (12, 32, 101, 45)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "demo", help="run the walkthrough on the bundled subset and write the report",
        description="Train the walkthrough's baseline on a saved subset with the Doctor "
                    "attached, diagnose it, and write report.html, report.json, "
                    "confusion_matrix.png and single-prediction PNGs to --out.")
    parser.add_argument("--data", default="data", help="subset folder (default: data)")
    parser.add_argument("--out", default="out", help="output folder (default: out)")
    parser.add_argument("--epochs", type=int, default=5,
                        help="training epochs (default 5, the walkthrough's)")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="time budget of the diagnosis in seconds (default 60)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    parser.set_defaults(func=run, tensorflow=True)
    return parser


def _save_png(display_or_figure, path):
    from kerasdoc.plot._common import figure_png
    from kerasdoc.plot._html import write_bytes_atomic

    figure = getattr(display_or_figure, "figure_", display_or_figure)
    write_bytes_atomic(path, figure_png(figure))
    return path


def run(args):
    from kerasdoc.cli import exit_code
    from kerasdoc.cli._diagnose import diagnose_progress, progress_printer

    say = progress_printer(args.quiet)
    if args.epochs < 1 or args.batch_size < 1:
        raise InvalidInputError("--epochs and --batch-size must be >= 1. Received: "
                                f"--epochs={args.epochs}, --batch-size={args.batch_size}")
    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        raise InvalidInputError(f"--out must be a folder. Received: --out={args.out}")
    started = time.perf_counter()

    from kerasdoc.data import load_subset

    say(f"loading and verifying the subset in {args.data}")
    subset = load_subset(args.data)
    if subset.x_test is None:
        raise InvalidInputError(f"The demo needs a test split. Received: --data={args.data}")
    names = list(subset.class_names) if subset.class_names else None
    x_train = subset.x_train.astype("float32") / 255.0
    x_test = subset.x_test.astype("float32") / 255.0
    y_train, y_test = subset.y_train, subset.y_test

    import keras
    import matplotlib

    matplotlib.use("Agg")
    import kerasdoc
    from kerasdoc._causes import fold_symptoms
    from kerasdoc._diagnose import deduplicate, diagnose
    from kerasdoc.examples import baseline_mlp
    from kerasdoc.findings import Report
    from kerasdoc.plot import (
        ActivationStatsDisplay,
        ConfusionMatrixDisplay,
        GradientFlowDisplay,
        SinglePredictionDisplay,
        TopLossesDisplay,
        TrainingCurvesDisplay,
        write_html_report,
    )
    from kerasdoc.plot._common import predict_proba
    from kerasdoc.plot._html import write_text_atomic

    keras.utils.set_random_seed(args.seed)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    model = baseline_mlp(x_train.shape[1:], n_classes)
    # The checkup runs first, on the fresh model, as a practitioner would:
    # the initial-loss probe is only meaningful before training.
    say("diagnosing the fresh baseline")
    checkup = diagnose(model, x_train, y_train, validation_data=(x_test, y_test),
                       batch_size=args.batch_size, epochs=args.epochs, class_names=names,
                       budget_s=args.budget, seed=args.seed,
                       progress=diagnose_progress(args.quiet, say))
    doctor = kerasdoc.Doctor()
    say(f"training the baseline: {args.epochs} epochs, batch {args.batch_size}, "
        f"{len(x_train)} images")

    class EpochProgress(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            say(f"  epoch {epoch + 1}/{args.epochs}: loss {logs.get('loss', float('nan')):.3f}, "
                f"val_accuracy {logs.get('val_accuracy', float('nan')):.3f}")

    fit_start = time.perf_counter()
    history = model.fit(x_train, y_train, validation_data=(x_test, y_test),
                        epochs=args.epochs, batch_size=args.batch_size, verbose=0,
                        callbacks=[doctor, EpochProgress()])
    timings = dict(checkup.timings, **{"fit (Doctor)": time.perf_counter() - fit_start})
    report = Report(
        fold_symptoms(deduplicate([("diagnose", list(checkup)),
                                   ("fit", list(doctor.report))])),
        ran=checkup.ran + ("fit (Doctor)",), skipped=checkup.skipped,
        failed=dict(checkup.failed, **{f"fit/{k}": v for k, v in doctor.report.failed.items()}),
        timings=timings, title="kerasdoc demo: walkthrough baseline")

    say(f"writing the report and plots to {out}")
    os.makedirs(out, exist_ok=True)
    proba = predict_proba(model, x_test)
    cm = ConfusionMatrixDisplay.from_predictions(y_test, proba, class_names=names,
                                                 n_classes=proba.shape[1])
    curves = TrainingCurvesDisplay.from_history(history)
    top = TopLossesDisplay.from_predictions(x_test, y_test, proba, n=10, class_names=names)
    flow = GradientFlowDisplay.from_doctor(doctor)
    activations = ActivationStatsDisplay.from_doctor(doctor)
    written = [_save_png(cm, os.path.join(out, "confusion_matrix.png")),
               _save_png(curves, os.path.join(out, "training_curves.png")),
               _save_png(top, os.path.join(out, "top_losses.png")),
               _save_png(flow, os.path.join(out, "gradient_flow.png")),
               _save_png(activations, os.path.join(out, "activations.png"))]
    figures = {"Confusion matrix (test)": cm, "Training curves": curves,
               "Highest-loss test samples": top, "Gradient flow (Doctor)": flow,
               "Activations (Doctor)": activations}
    notes = {}
    for index in WALKTHROUGH_INDICES:
        if index >= len(x_test):
            continue
        single = SinglePredictionDisplay.from_predictions(x_test, y_test, proba, index,
                                                          class_names=names)
        written.append(_save_png(single, os.path.join(out, f"single_prediction_{index}.png")))
        figures[f"Test image {index}"] = single
        notes[f"Test image {index}"] = single.text()
    html_path = write_html_report(report, os.path.join(out, "report.html"),
                                  figures=figures, notes=notes)
    json_path = write_text_atomic(os.path.join(out, "report.json"), report.to_json())

    print(report.to_text())
    print()
    print(f"test accuracy {cm.accuracy:.3f}; most confused:")
    for line in cm.pairs_text(3).splitlines():
        print(f"  {line}")
    print(f"report: {html_path}")
    print(f"json:   {json_path}")
    for path in written:
        print(f"plot:   {path}")
    say(f"done in {time.perf_counter() - started:.0f} s")
    return exit_code(report)
