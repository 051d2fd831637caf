"""Plant plausible one-line bugs, one at a time, and check that a test CI runs catches each.

For every bug of :data:`BUGS` the repository is copied to a scratch folder, one exact text
replacement is applied (it must match exactly once, so a bug never silently stops applying after
a refactor), and the bug's test files are run there with the current Python (``-x``: the first
failure is enough), importing the scratch copy. A bug is *caught* when pytest fails; the table
says by which test and how long it took. Not in CI: it takes minutes. Run from the repository root:

    .venv/bin/python tools/planted_bugs.py                 # every bug, Markdown table on stdout
    .venv/bin/python tools/planted_bugs.py --only T1 MP1   # some bugs
    .venv/bin/python tools/planted_bugs.py --baseline      # first check the selected tests pass unplanted
    .venv/bin/python tools/planted_bugs.py --list

Exit status 1 when a bug escapes (or a replacement no longer matches), 0 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", ".venv", "results", "__pycache__", ".pytest_cache", "*.pyc", ".hypothesis")


class Bug(NamedTuple):
    """One planted bug: replace ``old`` by ``new`` in ``file``; ``tests`` should catch it."""

    key: str
    what: str
    file: str
    old: str
    new: str
    tests: tuple  # pytest arguments: files, node ids, or "file::-k expr" (see _pytest_args)


FLOWS = "tests/test_flows.py"
REFS = "tests/test_captum_references.py"
NUMPY = "tests/test_numpy_forward.py"
MODELS = "tests/test_models.py"
TRAIN = "tests/test_train.py"
MP = "tests/test_moore_penrose.py"
JUMPS = "tests/test_jumps.py"
DATA = "tests/test_data.py"
DISC = "tests/test_discriminance.py"
VERD = "tests/test_verdicts.py"
REPORT = "tests/test_report.py"


def k(path: str, expression: str) -> str:
    """The tests of ``path`` whose names match the pytest ``-k`` ``expression``."""
    return f"{path}::-k {expression}"


BUGS = (
    # ------------------------------------------------------------------ rules
    Bug("R1", "guided backprop drops the forward mask", "jaxprobe/rules.py",
        "    return jax.nn.relu(g) * (z > 0).astype(g.dtype)", "    return jax.nn.relu(g)", (k(FLOWS, "rules_on_hand"),)),
    Bug("R2", "masked deconvnet drops its mask (the issue's example)", "jaxprobe/rules.py",
        "    return jax.nn.relu((z > 0).astype(g.dtype) * g)", "    return jax.nn.relu(g)", (k(FLOWS, "rules_on_hand or masked_and_plain"),)),
    Bug("R3", "guided-bp-DNN forgets σ'(z)", "jaxprobe/rules.py",
        "    return agree * g * activation_derivative(activation, z)", "    return agree * g", (k(FLOWS, "rules_on_hand"),)),
    Bug("R4", "deconvnet forgets to rectify", "jaxprobe/rules.py",
        "    return jax.nn.relu(g)\n\n\ndef deconvnet_masked", "    return g\n\n\ndef deconvnet_masked", (k(FLOWS, "rules_on_hand"),)),
    Bug("R5", "exact filter rectifies", "jaxprobe/rules.py",
        "    return gradient(g, z, activation)\n\n\nRULES",
        "    return jax.nn.relu(gradient(g, z, activation))\n\n\nRULES", (k(FLOWS, "rules_on_hand"),)),
    # ------------------------------------------------------------------ models
    Bug("M1", "max-pool starts from 0 instead of −∞", "jaxprobe/models.py",
        "jax.lax.reduce_window(x, -jnp.inf, jax.lax.max", "jax.lax.reduce_window(x, 0.0, jax.lax.max", (NUMPY,)),
    Bug("M2", "1-D 'SAME' padding put on the wrong side", "jaxprobe/models.py",
        "[((k - 1) // 2, k // 2), (0, 0)]", "[(k // 2, (k - 1) // 2), (0, 0)]", (k(MODELS, "tap_conv"),)),
    Bug("M3", "mlp's logits get the hidden activation", "jaxprobe/models.py",
        'acts = _per_layer(activation, len(widths) - 2) + ["linear"]',
        "acts = _per_layer(activation, len(widths) - 1)", (k(REFS, "logits"),)),
    Bug("M4", "seed 002's CNN padded 'SAME'", "jaxprobe/models.py",
        'dense=(), n_classes=10, padding="VALID")', 'dense=(), n_classes=10, padding="SAME")', (k(MODELS, "seed_architectures"),)),
    Bug("M5", "cnn2d drops the pool before the first dense layer", "jaxprobe/models.py",
        "pool=pool if j == 0 else 1", "pool=1", (k(MODELS, "seed_architectures"),)),
    Bug("M6", "Glorot limit √(3/(fan_in+fan_out))", "jaxprobe/models.py",
        "lim = np.sqrt(6.0 / (fan_in + fan_out))", "lim = np.sqrt(3.0 / (fan_in + fan_out))", (k(JUMPS, "glorot"),)),
    # ------------------------------------------------------------------ flows and losses
    Bug("F1", "saliency without its absolute value", "jaxprobe/flows.py",
        "return jnp.abs(rec) if absolute else rec", "return rec", (k(REFS, "saliency"),)),
    Bug("F2", "post-start rule reads o_l instead of z_l", "jaxprobe/flows.py",
        "g = rule_fn(g, trace.pre[layer - 1], stages[layer - 1].activation)",
        "g = rule_fn(g, trace.post[layer - 1], stages[layer - 1].activation)", (k(FLOWS, "exact_filter"),)),
    Bug("F3", "random backward weights drop the mean", "jaxprobe/flows.py",
        "drawn = [jnp.mean(w) + jnp.std(w) * jax.random.normal(", "drawn = [jnp.std(w) * jax.random.normal(",
        (k(FLOWS, "random_backward"),)),
    Bug("F4", "bp-DNN top signal y − p", "jaxprobe/flows.py",
        "signal = jax.nn.softmax(trace.pre[-1]) - y if from_prediction else y",
        "signal = y - jax.nn.softmax(trace.pre[-1]) if from_prediction else y", (k(FLOWS, "bp_dnn_targets_equal"),)),
    Bug("F5", "neuron signal ignores weight_by_activation", "jaxprobe/flows.py",
        "return delta * o if weight_by_activation else delta", "return delta", (k(FLOWS, "masked_and_plain or hand_computed"),)),
    Bug("F6", "backward_params ignored", "jaxprobe/flows.py",
        "bparams = params if backward_params is None else backward_params", "bparams = params", (k(FLOWS, "masked_and_plain or hand_computed"),)),
    Bug("F7", "rule takes the activation of the stage above", "jaxprobe/flows.py",
        "g = rule_fn(g, trace.pre[k - 2], stages[k - 2].activation)",
        "g = rule_fn(g, trace.pre[k - 2], stages[k - 1].activation)", (k(FLOWS, "bp_dnn_targets_equal"),)),
    Bug("L1", "ℓ^bp with the wrong sign", "jaxprobe/losses.py",
        "return -jnp.sum(o * back)", "return jnp.sum(o * back)", (k(FLOWS, "direct_loss"),)),
    # ------------------------------------------------------------------ train
    Bug("T1", "checkpoint fingerprint drops the run key (the issue's example)", "jaxprobe/train.py",
        "    h.update(np.asarray(jax.random.key_data(keys)).tobytes())\n", "", (k(TRAIN, "checkpoint"),)),
    Bug("T2", "every epoch the same permutation", "jaxprobe/train.py",
        "return jax.random.permutation(jax.random.fold_in(key, epoch), n)",
        "return jax.random.permutation(key, n)", (k(TRAIN, "schedule"),)),
    Bug("T3", "best parameters picked the wrong way round", "jaxprobe/train.py",
        "state.best_params = jax.tree.map(pick, state.params, state.best_params)",
        "state.best_params = jax.tree.map(pick, state.best_params, state.params)", (k(TRAIN, "early_stopping"),)),
    Bug("T4", "a restored checkpoint restarts the schedule at step 0", "jaxprobe/train.py",
        'step=int(payload["step"]))', "step=0)", (k(TRAIN, "checkpoint or killed"),)),
    Bug("T5", "snapshot steps are not boundaries", "jaxprobe/train.py",
        " | {s for s in snapshot_steps if 0 < s <= total}", "", (k(TRAIN, "learns"),)),
    Bug("T6", "train_loss summed, not averaged", "jaxprobe/train.py",
        "return params, opt_state, total / count", "return params, opt_state, total", (k(TRAIN, "learns"),)),
    Bug("T7", "early stopping one evaluation late", "jaxprobe/train.py",
        "                stopped = bool(patience) and bool(np.all(np.asarray(state.since_best) >= patience))",
        "                stopped = bool(patience) and bool(np.all(np.asarray(state.since_best) > patience))",
        (k(TRAIN, "early_stopping"),)),
    # ------------------------------------------------------------------ Moore–Penrose
    Bug("MP1", "counting path always centres, ignoring 'linear' (the issue's example)", "jaxprobe/moore_penrose.py",
        "dyn=(jnp.int32(n), jnp.float32(centred), jnp.float32(r)))",
        "dyn=(jnp.int32(n), jnp.float32(True), jnp.float32(r)))", (k(MP, "counting"),)),
    Bug("MP2", "'affine_ls' decided as 'linear'", "jaxprobe/moore_penrose.py",
        'return variant != "linear"', 'return variant == "centred"', (k(MP, "toy or affine_ls"),)),
    Bug("MP3", "hard-max ties count as successes (reference)", "jaxprobe/moore_penrose.py",
        "return bool(np.all(diag[None, :] > off.max(axis=0)[None, :] + margin))",
        "return bool(np.all(diag[None, :] >= off.max(axis=0)[None, :] + margin))", (k(MP, "degenerate or toy"),)),
    Bug("MP4", "kernel pair test ≤ (ties succeed)", "jaxprobe/moore_penrose.py",
        "t = s < jnp.minimum(d[i], d[j])", "t = s <= jnp.minimum(d[i], d[j])", (k(MP, "degenerate"),)),
    Bug("MP5", "rejection keeps overwriting accepted sets", "jaxprobe/moore_penrose.py",
        "take = (~ok) & okn", "take = okn", (k(MP, "min_distance"),)),
    Bug("MP6", "large-n path misses the antipodal pairs", "jaxprobe/moore_penrose.py",
        "np.arange(1, n // 2 + 1)[:, None]) % n\n    S = ", "np.arange(1, n // 2)[:, None]) % n\n    S = ", (k(MP, "large_n"),)),
    # ------------------------------------------------------------------ data
    Bug("D1", "jump one sample late", "jaxprobe/data/jumps.py",
        "clean = theta * (i[None, :] >= t0[:, None]).astype(jnp.float32)",
        "clean = theta * (i[None, :] > t0[:, None]).astype(jnp.float32)", (k(JUMPS, "label_is_position"),)),
    Bug("D2", "jump noise ignores σ", "jaxprobe/data/jumps.py",
        "return clean + sigma * noise, labels", "return clean + noise, labels", (k(JUMPS, "noise_statistics"),)),
    Bug("D3", "every split drawn from the training key", "jaxprobe/data/jumps.py",
        "out.extend(make_jumps(split_key(seed, name)", 'out.extend(make_jumps(split_key(seed, "train")', (k(JUMPS, "determinism"),)),
    Bug("D4", "balanced sampling with replacement", "jaxprobe/data/sampling.py",
        "rng.choice(idx, n_per_class, replace=False)", "rng.choice(idx, n_per_class, replace=True)", (k(DISC, "balanced"),)),
    Bug("D5", "embedded MNIST: validation digits left in train", "jaxprobe/data/mnist.py",
        "train = np.setdiff1d(np.arange(len(y)), valid)", "train = np.arange(len(y))", (k(DATA, "embedded"),)),
    Bug("D6", "IDX images scaled by 1/256", "jaxprobe/data/mnist.py",
        "/ 255.0).astype(np.float32)\n\n\ndef _labels", "/ 256.0).astype(np.float32)\n\n\ndef _labels", (k(DATA, "idx_folder"),)),
    # ------------------------------------------------------------------ analysis
    Bug("A1", "Clopper–Pearson lower bound at α, not α/2", "jaxprobe/analysis/stats.py",
        "float(beta.ppf(alpha / 2, k, n - k + 1))", "float(beta.ppf(alpha, k, n - k + 1))", (k(MP, "clopper"),)),
    Bug("A2", "k-NN lets a point vote for itself", "jaxprobe/analysis/discriminance.py",
        "d[rows, np.arange(start, stop)] = np.inf", "d[rows, np.arange(start, stop)] = 0.0", (k(DISC, "knn"),)),
    Bug("A3", "silhouette a(i) divides by the class size", "jaxprobe/analysis/discriminance.py",
        "a = sums[rows, own] / np.maximum(own_count - 1, 1)", "a = sums[rows, own] / own_count", (k(DISC, "silhouette"),)),
    Bug("A4", "class means are sums", "jaxprobe/analysis/activations.py",
        "return (acts.T @ onehot) / jnp.maximum(counts, 1)[None, :]", "return acts.T @ onehot", (k(JUMPS, "class_means"),)),
    Bug("A5", "Pearson without centring b", "jaxprobe/analysis/similarity.py",
        "    b = b - b.mean(axis=1, keepdims=True)\n", "", (k(DISC, "rowwise"),)),
    Bug("A6", "diagonal band excludes its edge", "jaxprobe/analysis/activations.py",
        "mask = np.abs(r - (c + offset)) <= band", "mask = np.abs(r - (c + offset)) < band", (k(JUMPS, "derivative_template"),)),
    Bug("A7", "mass on ink counts negative entries", "jaxprobe/analysis/similarity.py",
        "m = np.clip(np.asarray(maps, np.float64).reshape(len(maps), -1), 0, None)",
        "m = np.asarray(maps, np.float64).reshape(len(maps), -1)", (k(DISC, "ink"),)),
    Bug("A8", "'holds' needs value > threshold", "jaxprobe/analysis/verdicts.py",
        "    if value >= holds:", "    if value > holds:", (VERD,)),
    Bug("A9", "a partly-holding control still discriminates", "jaxprobe/analysis/verdicts.py",
        "if verdict in (HOLDS, PARTLY) and control in (HOLDS, PARTLY):",
        "if verdict in (HOLDS, PARTLY) and control == HOLDS:", (VERD,)),
    Bug("A10", "within_spread ignores k", "jaxprobe/analysis/stats.py",
        "return bool(abs(value - mean) <= k * std + 1e-12)", "return bool(abs(value - mean) <= std + 1e-12)",
        (VERD,)),
    # ------------------------------------------------------------------ report
    Bug("W1", "report numbers to 3 significant digits", "jaxprobe/report/section.py",
        'return f"{v:.4g}"', 'return f"{v:.3g}"', (k(REPORT, "section_files"),)),
    Bug("W2", "only NaN flagged as non-finite", "jaxprobe/report/section.py",
        "if not math.isfinite(v)]", "if math.isnan(v)]", (k(REPORT, "section_files"),)),
    Bug("W3", "run-cache fingerprint ignores the config", "jaxprobe/report/cache.py",
        'text = json.dumps({"name": name, "config": config}, sort_keys=True',
        'text = json.dumps({"name": name}, sort_keys=True', (k(REPORT, "run_cache"),)),
    Bug("W4", "a failed experiment's section is kept", "jaxprobe/report/section.py",
        "        if exc_type is not None:\n            shutil.rmtree(self._tmp, ignore_errors=True)\n",
        "        if exc_type is not None:\n            self._write_files()\n", (k(REPORT, "failed_experiment"),)),
)


def _pytest_args(tests: tuple) -> list:
    """``"file::-k expr"`` becomes ``file -k expr``; anything else is passed as it is. pytest has
    one ``-k`` per run, so a bug names either one such selection or plain files and node ids."""
    selections = [t for t in tests if "::-k " in t]
    if selections and len(tests) > 1:
        raise ValueError(f"{tests}: a '-k' selection must be a bug's only test argument")
    if selections:
        path, expr = selections[0].split("::-k ", 1)
        return [path, "-k", expr]
    return list(tests)


def _files(tests: tuple) -> tuple:
    return tuple(t.split("::")[0] for t in tests)


def scratch_copy(dest: Path) -> Path:
    """The working tree (tracked and untracked files, no .git, caches or results) under ``dest``."""
    shutil.copytree(ROOT, dest, ignore=SKIP)
    return dest


def plant(tree: Path, bug: Bug) -> None:
    """Applies ``bug`` to the copy at ``tree``; the replacement must match exactly once."""
    path = tree / bug.file
    text = path.read_text()
    count = text.count(bug.old)
    if count != 1:
        raise ValueError(f"{bug.key}: the text to replace occurs {count} times in {bug.file}, expected once; "
                         f"update the bug to today's code.")
    path.write_text(text.replace(bug.old, bug.new))


def run_tests(tree: Path, tests: tuple, timeout: float) -> tuple[int, str, float]:
    """pytest on the copy at ``tree`` (importing it, not the installed jaxprobe); returns
    (exit status, the first failing test or '', seconds)."""
    env = dict(os.environ, PYTHONPATH=str(tree), JAX_PLATFORMS="cpu", PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=-rfE",
           *_pytest_args(tests)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"(timed out after {timeout:.0f} s)", time.perf_counter() - start
    seconds = time.perf_counter() - start
    failed = re.findall(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", proc.stdout, flags=re.M)
    return proc.returncode, (failed[0] if failed else ""), seconds


def check_imports_copy(tree: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", "import jaxprobe; print(jaxprobe.__file__)"], cwd=tree, env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    if not out.startswith(str(tree)):
        raise RuntimeError(f"the scratch copy is not the jaxprobe imported there ({out}); uninstall the other copy "
                           f"or run from a venv where jaxprobe is installed editable.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="KEY", help="run these bugs only (keys as in --list)")
    parser.add_argument("--list", action="store_true", help="list the bugs and exit")
    parser.add_argument("--baseline", action="store_true", help="first run the selected tests on an unplanted copy")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per bug (default 600)")
    args = parser.parse_args(argv)
    bugs = [b for b in BUGS if not args.only or b.key in args.only]
    if args.only and len(bugs) != len(args.only):
        known = {b.key for b in BUGS}
        parser.error(f"unknown bug keys: {', '.join(k for k in args.only if k not in known)}")
    if args.list:
        for b in bugs:
            print(f"{b.key:5} {b.file:34} {b.what}")
        return 0

    rows, escaped = [], 0
    with tempfile.TemporaryDirectory(prefix="planted-bugs-") as tmp:
        pristine = scratch_copy(Path(tmp) / "pristine")
        check_imports_copy(pristine)
        if args.baseline:
            tests = tuple(dict.fromkeys(f for b in bugs for f in _files(b.tests)))  # whole files
            rc, first, seconds = run_tests(pristine, tests, args.timeout * 4)
            print(f"baseline: exit {rc} in {seconds:.0f} s {first}", file=sys.stderr, flush=True)
            if rc != 0:
                print("the selected tests fail without any planted bug; fix that first", file=sys.stderr)
                return 1
        for bug in bugs:
            tree = Path(tmp) / bug.key
            shutil.copytree(pristine, tree)
            try:
                plant(tree, bug)
            except ValueError as err:
                rows.append((bug, "NOT APPLIED", str(err), 0.0))
                escaped += 1
                continue
            rc, first, seconds = run_tests(tree, bug.tests, args.timeout)
            caught = rc not in (0, 5)
            escaped += not caught
            rows.append((bug, "caught" if caught else "ESCAPED", first or ("" if caught else "—"), seconds))
            print(f"{bug.key}: {rows[-1][1]} {rows[-1][2]} ({seconds:.0f} s)", file=sys.stderr, flush=True)
            shutil.rmtree(tree, ignore_errors=True)

    print("| bug | what | file | result | first failing test | s |")
    print("|---|---|---|---|---|---|")
    for bug, result, by, seconds in rows:
        print(f"| {bug.key} | {bug.what} | {bug.file.removeprefix('jaxprobe/')} | {result} | `{by}` | {seconds:.0f} |")
    print(f"\n{len(rows) - escaped} of {len(rows)} planted bugs caught.")
    return 1 if escaped else 0


if __name__ == "__main__":
    sys.exit(main())
