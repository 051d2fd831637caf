"""Seed 004 (Palmieri et al., "Probing a Deep Neural Network"): flows from one deep unit of a VGG-style CNN.

Trains ``vgg_mnist(width)`` on MNIST and, where Debian's dataset-fashion-mnist is installed, on
Fashion-MNIST (checkpointed under ``--cache``, so a rerun does not train again), then measures on
the trained network and on its untrained initialisation: the FOV of the last conv layer's units,
deconvnet / masks / random weights / exact filters and their correlation with the image inside
the FOV, exact filters per depth against image gradients, best inputs from random starts,
max-activating test images, and Fig. 6's active-feature shares. Every claim gets a verdict.

    python experiments/seed004_probing.py --quick    # well under a minute
    python experiments/seed004_probing.py --full     # both data sets, the full sizes
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402

from jaxprobe.models import vgg_mnist  # noqa: E402
from jaxprobe.report import Report  # noqa: E402
from jaxprobe.report.cli import experiment_parser  # noqa: E402
from jaxprobe.studies.seed004 import claims, figures, tables  # noqa: E402
from jaxprobe.studies.seed004.network import load_dataset, test_accuracy, train_network  # noqa: E402
from jaxprobe.studies.seed004.protocol import Sizes, measure_network  # noqa: E402

NAME = "seed004_probing"


@dataclass(frozen=True)
class Config:
    width: int  # features of the first conv block (VGG-16 has 64; XLA:CPU trains 16 five times slower than 12)
    steps: dict  # training steps (batch 64, Adam 1e-3) per data set
    datasets: tuple
    sizes: Sizes = field(default_factory=Sizes)


QUICK = Config(width=4, steps={"mnist": 60}, datasets=("mnist",),
               sizes=Sizes(n_images=6, n_positions=1, n_draws=2, n_filter_images=4, best_channels=2, n_starts=3,
                           max_iter=25, top_k=5, n_search_images=300, n_boot=200))
FULL = Config(width=12, steps={"mnist": 1500, "fashion": 2000}, datasets=("mnist", "fashion"))


def run_dataset(report: Report, cfg: Config, name: str, args) -> None:
    data = load_dataset(name)
    if data is None:
        report.text(f"**{name}**: not installed (`apt-get install dataset-fashion-mnist`); skipped.")
        return
    model = vgg_mnist(cfg.width)
    key = jax.random.key(args.seed)
    steps = cfg.steps[name]
    with report.stage(f"{name}: train vgg_mnist({cfg.width}), {steps} steps (or load the checkpoint)"):
        params = train_network(model, data, steps=steps, key=key, progress=not args.no_progress,
                               checkpoint_dir=args.cache / f"{name}-w{cfg.width}-s{steps}-seed{args.seed}")
        untrained = model.init(jax.random.split(key)[0])  # the trained network's own initialisation
        acc, acc0 = (test_accuracy(model, p, data.test_x, data.test_y) for p in (params, untrained))
    report.compare(f"test accuracy [{name}]", round(100 * acc, 2), "VGG-16, pre-trained on ImageNet",
                   "not comparable", note=f"untrained: {100 * acc0:.1f} %; {len(data.train_y):,} training images, "
                                          f"test set: {data.test_source} ({len(data.test_y):,} images)")
    measured = {}
    for label, p in (("trained", params), ("untrained", untrained)):
        with report.stage(f"{name}: measures on the {label} network"):
            measured[label] = measure_network(model, p, data, cfg.sizes, jax.random.fold_in(key, 1))
    m, mu = measured["trained"], measured["untrained"]
    for row in claims.evaluate(m, mu, name):
        report.claim(**row)
    for table in tables.ALL_TABLES:
        title, header, rows = table(m, mu)
        report.table(f"{title} [{name}]", header, rows)
    report.metric(name, dict(tables.headline_metrics(m, mu), test_accuracy=acc, untrained_accuracy=acc0))
    with report.stage(f"{name}: figures"):
        report.figure(figures.fig4_reconstructions(m), f"{name}_fig4.png",
                      f"Fig. 4 [{name}]: two features at one location of conv layer {m['last_layer']}: deconvnet, "
                      f"with masks, masks with random weights, random weights without masks, exact filter.")
        report.figure(figures.correlation_bars({"trained": m["correlations"], "untrained": mu["correlations"]}),
                      f"{name}_fov_correlation.png",
                      f"[{name}] Pearson r with the image inside the FOV per flow, own image vs another image, "
                      f"trained vs untrained, 95 % two-way bootstrap intervals.")
        report.figure(figures.filter_depth(m, mu), f"{name}_filters_by_depth.png",
                      f"[{name}] exact filters per conv layer (FOV crops) and their |r| with the image, its "
                      f"gradient magnitude and its oriented derivatives (solid: trained, dotted: untrained).")
        report.figure(figures.best_input_grid(m), f"{name}_best_inputs.png",
                      f"§4 / Fig. 5 [{name}]: inputs maximising one unit from {cfg.sizes.n_starts} random starts.")
        report.figure(figures.top_images(m), f"{name}_top_images.png",
                      f"[{name}] max-activating test images of units of the first and last conv layers.")
        report.figure(figures.fig6_histograms(m["fractions"], control=mu["fractions"]), f"{name}_fig6.png",
                      f"Fig. 6 [{name}]: shares of features active per location, typical image and test set.")


def main(argv=None) -> int:
    parser = experiment_parser(NAME, __doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for trained networks (default: <out>/_cache/seed004_probing)")
    args = parser.parse_args(argv)
    args.cache = args.cache or args.out / "_cache" / NAME
    cfg = FULL if args.full else QUICK
    title = "Seed 004: probing a VGG-style CNN through flows from one deep unit"
    with Report(args.out, NAME, title=title) as report:
        report.text(
            f"Mode **{'full' if args.full else 'quick'}**. Network `vgg_mnist({cfg.width})`: conv {cfg.width}, conv "
            f"{cfg.width}, pool, conv {2 * cfg.width}, conv {2 * cfg.width}, pool (3 × 3 convs, ReLU, 2 × 2 max-pool), "
            f"dense 128, dense 10 — a small VGG (the seed's pre-trained VGG-16 cannot be downloaded here). Probed: "
            f"every channel at {cfg.sizes.n_positions} central position(s) of the last conv layer, "
            f"{cfg.sizes.n_images} test images, {cfg.sizes.n_draws} random-weight draws. The untrained network is "
            f"the trained one's initialisation; where a claim credits training it is a negative control "
            f"(a claim that holds on it too is 'not discriminating'). Quick mode trains a few steps: a smoke test.")
        for name in cfg.datasets:
            run_dataset(report, cfg, name, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
