"""The ``physml-sklearn`` command: argument parsing only.

Each sub-command lives in its own module (``demo``, ``train``, ``apply``) and
is imported only once its arguments are parsed, so ``physml-sklearn --help``
and ``physml-sklearn train --help`` answer without importing torch,
scikit-learn or pandas. Errors the user can fix (a missing file, an unknown
column, an empty selection...) are reported as one line on stderr with a
non-zero exit code, never as a traceback.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import sys
import textwrap

__all__ = ["main"]

PROG = "physml-sklearn"

#: exit code of an error in the user's input (files, columns, options)
EXIT_INPUT_ERROR = 1
#: exit code of a command line that does not parse
EXIT_USAGE = 2


def _wrap(text):
    return textwrap.fill(text, 79)


class CommandError(Exception):
    """An error in the user's input, reported as one line without traceback."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Show every option's default unless its help text already states it."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (
            "default:" not in text
            and action.default is not argparse.SUPPRESS
            and action.option_strings
            and not action.required
            and action.nargs != 0
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _add_demo(sub):
    from .demo import SECTIONS  # the demo module imports only the standard library

    demo = sub.add_parser(
        "demo",
        help="train the package's networks on generated physics data and plot them",
        description=_wrap("Train every network of the package on generated physics data, print "
        "the tables and write the figures to a folder."),
        formatter_class=_Formatter,
    )
    demo.add_argument("--output", default="physml_demo", help="folder for the figures")
    demo.add_argument("--n-events", type=int, default=20_000, dest="n_events",
                      help="generated events per data set")
    demo.add_argument("--max-epochs", type=int, default=60, dest="max_epochs",
                      help="upper bound on the training epochs")
    demo.add_argument("--gan-epochs", type=int, default=125, dest="gan_epochs",
                      help="training epochs of the GAN")
    demo.add_argument("--random-state", type=int, default=0, dest="random_state",
                      help="seed of the data and of the networks")
    demo.add_argument("--only", choices=sorted(SECTIONS), action="append",
                      help="run only these parts (repeatable; default: all of them)")


_SOURCES = (
    "ROOT files as FILE.root:TREE, or .parquet, .csv, .h5/.hdf5 files; several "
    "may be given"
)


def _add_train(sub):
    train = sub.add_parser(
        "train",
        help="train a cross-validated signal/background classifier on your own files "
        "and write a report",
        description=_wrap("The TMVA Factory as one command. Reads the signal and background "
        "files, trains a k-fold cross-trained classifier (FoldingClassifier around "
        "StandardScaler + DropoutMLPClassifier with early stopping) and writes to the "
        "output folder: report.html (self-contained: inputs, loss curves, overtraining "
        "checks, ranking, rejection curve, significance scan), model.physml, model.onnx "
        "(when the onnx extra is installed) and scores.parquet (each event's out-of-fold "
        "score)."),
        epilog="example:\n  physml-sklearn train --signal wz.root:events "
        "--background zz.parquet \\\n      --weight weight --fold-column event_number "
        "--out wz_vs_zz",
        formatter_class=_Formatter,
    )
    train.add_argument("--signal", nargs="+", required=True, metavar="SRC",
                       help=f"signal event files (required); {_SOURCES}")
    train.add_argument("--background", nargs="+", required=True, metavar="SRC",
                       help="background event files (required), as for --signal")
    train.add_argument("--features", nargs="+", metavar="COL",
                       help="input variables (default: every numeric column common to all "
                       "files, except the --weight and --fold-column columns)")
    train.add_argument("--weight", metavar="COL",
                       help="column of per-event weights, e.g. cross section x luminosity "
                       "/ events generated; negative weights allowed (default: every "
                       "event weighs 1)")
    train.add_argument("--selection", metavar="EXPR",
                       help="events to keep, a pandas query applied to every file, e.g. "
                       "'n_jets >= 2 and met > 20' (default: every event)")
    train.add_argument("--folds", type=int, default=2, metavar="K",
                       help="number of folds of the cross-training: each event is scored "
                       "by the model trained on the other K-1 folds")
    train.add_argument("--fold-column", metavar="COL", dest="fold_column",
                       help="integer event-number column: an event goes to fold "
                       "event_number %% K, and 'apply' scores every event with the model "
                       "that did not train on its fold (default: random stratified folds)")
    train.add_argument("--out", default="physml_train", metavar="DIR",
                       help="output folder, created if needed")
    train.add_argument("--max-epochs", type=int, default=100, dest="max_epochs",
                       metavar="N",
                       help="upper bound on the training epochs of each fold (early "
                       "stopping usually ends the training before)")
    train.add_argument("--random-state", type=int, default=0, dest="random_state",
                       metavar="N", help="seed of the folds and of the networks")
    train.add_argument("--quiet", action="store_true",
                       help="print nothing but errors (default: a progress display)")


def _add_apply(sub):
    apply = sub.add_parser(
        "apply",
        help="score event files with a model written by 'train'",
        description=_wrap("Score event files with a model saved by 'physml-sklearn train' and "
        "write the input rows plus a 'score' column (the signal probability). A model "
        "trained with --fold-column scores every event with the fold model that did not "
        "train on it, so applying it to the training files gives back scores.parquet; "
        "without a fold column the fold models are averaged."),
        epilog="example:\n  physml-sklearn apply wz_vs_zz/model.physml data.root:events "
        "--out data_scored.parquet",
        formatter_class=_Formatter,
    )
    apply.add_argument("model", metavar="MODEL", help="model file (model.physml)")
    apply.add_argument("sources", nargs="+", metavar="SRC", help=_SOURCES)
    apply.add_argument("--out", required=True, metavar="FILE",
                       help="output file, .parquet or .csv (required)")
    apply.add_argument("--quiet", action="store_true",
                       help="print nothing but errors (default: one line per step)")


def _add_example_files(sub):
    example = sub.add_parser(
        "example-files",
        help="write example event files (WZ signal, ZZ background, data) to try "
        "'train' and 'apply' on",
        description=_wrap("Write the event files the README's own-files command reads: "
        "wz.root:events (signal, WZ), zz.parquet (background, ZZ) and data.root:events "
        "(WZ and ZZ mixed as in their expected yields, to score), simulated by "
        "physml_sklearn.datasets.make_diboson, with an event_number column (unique "
        "integers) and a weight column (expected events at 139 fb^-1; 1 for the data). "
        "The units of the columns are stored in the files. Each file is written whole "
        "or not at all."),
        epilog="example:\n  physml-sklearn example-files . && physml-sklearn train "
        "--signal wz.root:events \\\n      --background zz.parquet --weight weight "
        "--fold-column event_number --out wz_vs_zz",
        formatter_class=_Formatter,
    )
    example.add_argument("folder", metavar="DIR",
                         help="folder to write the files into, created if needed")
    example.add_argument("--n-events", type=int, default=3000, dest="n_events",
                         metavar="N", help="events in each file")
    example.add_argument("--random-state", type=int, default=0, dest="random_state",
                         metavar="N", help="seed of the simulation")
    example.add_argument("--overwrite", action="store_true",
                         help="replace files of these names already in DIR (default: "
                         "refuse)")


def _parser():
    from .. import __version__

    parser = _Parser(
        prog=PROG,
        description="Machine learning for physics, the scikit-learn way.",
        epilog="Run 'physml-sklearn COMMAND --help' for the options of a command.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", title="commands", metavar="COMMAND",
                                parser_class=_Parser)
    _add_demo(sub)
    _add_train(sub)
    _add_apply(sub)
    _add_example_files(sub)
    return parser


def _one_line(error):
    text = " ".join(str(error).split())
    if isinstance(error, KeyError) and len(error.args) == 1:
        text = " ".join(str(error.args[0]).split())  # KeyError quotes its message
    return text or type(error).__name__


def main(argv=None):
    """Entry point of the ``physml-sklearn`` command.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments; None reads ``sys.argv[1:]``.

    Returns
    -------
    code : int
        The exit code: 0 on success, 1 for an error in the input (files,
        columns, options), 2 for a command line that does not parse.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from .demo import run
    elif args.command == "train":
        from .train import run
    elif args.command == "example-files":
        from .example_files import run
    else:
        from .apply import run
    try:
        return run(args)
    except KeyboardInterrupt:
        print(f"{PROG} {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # one line for the user; the traceback on request
        if os.environ.get("PHYSML_SKLEARN_TRACEBACK"):
            raise
        expected = (CommandError, ValueError, KeyError, OSError, ImportError)
        kind = "" if isinstance(error, expected) else f"{type(error).__name__}: "
        print(f"{PROG} {args.command}: error: {kind}{_one_line(error)}", file=sys.stderr)
        return EXIT_INPUT_ERROR
