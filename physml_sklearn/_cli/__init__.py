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
import difflib
import os
import signal
import sys
import textwrap

__all__ = ["main"]

PROG = "physml-sklearn"

#: exit code of an error in the user's input (files, columns, options)
EXIT_INPUT_ERROR = 1
#: exit code of a command line that does not parse
EXIT_USAGE = 2
#: exit codes of a command stopped by a signal: 128 + its number, as a shell reports it
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def _wrap(text):
    return textwrap.fill(text, 79)


#: the largest --random-state: the commands seed further draws with it plus
#: a few, which numpy takes up to 2**32 - 1
MAX_SEED = 2**31 - 1


def _seed(text):
    """``--random-state``: an integer from 0 to :data:`MAX_SEED`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to {MAX_SEED}, got {value}")
    return value


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


class Stopped(BaseException):
    """Raised in the main thread by SIGINT or SIGTERM.

    Not a ``KeyboardInterrupt``, which libraries may catch to end a loop
    early, and not an ``Exception``: it goes through every ``except Exception``
    up to :func:`main`, running the ``finally`` clauses that remove the
    temporary files on the way.
    """

    def __init__(self, name):
        super().__init__(name)
        self.name = name


def _stop(signum, frame):
    name = signal.Signals(signum).name
    for other in EXIT_SIGNAL:  # the clean-up that follows is not interrupted in turn
        signal.signal(getattr(signal, other), signal.SIG_IGN)
    raise Stopped(name)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr.

    Abbreviated options are refused (``--fold-colum`` is not ``--fold-column``).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

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
    demo.add_argument("--max-epochs", type=int, default=100, dest="max_epochs",
                      help="upper bound on the training epochs")
    demo.add_argument("--gan-epochs", type=int, default=125, dest="gan_epochs",
                      help="training epochs of the GAN")
    demo.add_argument("--random-state", type=_seed, default=0, dest="random_state",
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
    train.add_argument("--signal", nargs="+", action="extend", required=True, metavar="SRC",
                       help=f"signal event files (required); {_SOURCES}, and "
                       "--signal repeated adds to them")
    train.add_argument("--background", nargs="+", action="extend", required=True, metavar="SRC",
                       help="background event files (required), as for --signal")
    train.add_argument("--features", nargs="+", action="extend", metavar="COL",
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
                       help="output folder, created if needed; the run is written to a "
                       "temporary folder beside it and renamed into place when complete")
    train.add_argument("--overwrite", action="store_true",
                       help="replace the run already in --out, once the new run is "
                       "complete (default: refuse to write into a folder that holds a run)")
    train.add_argument("--units", metavar="COL=UNIT,...",
                       help="units of the inputs for the report's axes, e.g. "
                       "'met=GeV,lep1_eta=' (default: the units in the ROOT branch "
                       "titles, if any)")
    train.add_argument("--max-epochs", type=int, default=200, dest="max_epochs",
                       metavar="N",
                       help="upper bound on the training epochs of each fold (early "
                       "stopping usually ends the training before)")
    train.add_argument("--min-background-events", type=int, default=10, metavar="N",
                       dest="min_background_events",
                       help="fewest simulated background events the report's best cut may "
                       "keep, so that the background estimate is not one event's weight")
    train.add_argument("--random-state", type=_seed, default=0, dest="random_state",
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
                       help="output file, .parquet or .csv (required); written to a "
                       "temporary file beside it and renamed into place when complete")
    apply.add_argument("--trust", action="append", metavar="MODULE:NAME",
                       help="a type or function of the model file to load although it "
                       "is not on the allowlist of physml_sklearn.load, e.g. "
                       "'numpy:log10' (repeatable; default: only the allowlist)")
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
    example.add_argument("--random-state", type=_seed, default=0, dest="random_state",
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
    parser.commands = sub.choices
    return parser


def _refuse_unknown_options(parser, argv):
    """Stop at the first option its (sub-)command does not know, naming the closest one,
    or at an option of one value given twice.

    argparse would report an unknown option only after the other checks, as
    "unrecognized arguments", without a hint; and would keep the last of two
    values of an option silently (two ``--selection`` would apply the second
    alone). The options that take files or columns add up instead.
    """
    current = parser
    given = set()
    for token in argv:
        if token == "--":
            return
        if current is parser and token in parser.commands:
            current = parser.commands[token]
            continue
        if not token.startswith("--"):
            continue
        name = token.split("=", 1)[0]
        action = current._option_string_actions.get(name)
        if type(action) is argparse._StoreAction:
            if action.dest in given:
                current.error(f"{name} is given twice; give it once")
            given.add(action.dest)
        if action is not None:
            continue
        known = sorted(o for o in current._option_string_actions if o.startswith("--"))
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        current.error(f"unknown option {name!r}"
                      + (f"; did you mean {close[0]!r}?" if close else ""))


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
        columns, options), 2 for a command line that does not parse, 130
        after SIGINT (Ctrl-C) and 143 after SIGTERM.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    _refuse_unknown_options(parser, argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    args.argv = [PROG, *argv]
    previous = {}
    try:
        for name in EXIT_SIGNAL:  # Ctrl-C and kill end the command, whatever runs
            previous[name] = signal.signal(getattr(signal, name), _stop)
    except ValueError:  # not the main thread: leave the signals alone
        pass
    try:
        if args.command == "demo":
            from .demo import run
        elif args.command == "train":
            from .train import run
        elif args.command == "example-files":
            from .example_files import run
        else:
            from .apply import run
        return run(args)
    except (Stopped, KeyboardInterrupt) as stop:
        name = stop.name if isinstance(stop, Stopped) else "SIGINT"
        left = "" if args.command == "demo" else "; no partial output is left"
        print(f"{PROG} {args.command}: stopped by {name}{left}", file=sys.stderr)
        return EXIT_SIGNAL[name]
    except Exception as error:  # one line for the user; the traceback on request
        if os.environ.get("PHYSML_SKLEARN_TRACEBACK"):
            raise
        expected = (CommandError, ValueError, KeyError, OSError, ImportError)
        kind = "" if isinstance(error, expected) else f"{type(error).__name__}: "
        print(f"{PROG} {args.command}: error: {kind}{_one_line(error)}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
