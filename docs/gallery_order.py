"""The order of the example gallery: the order of the course.

``COURSE_ORDER`` lists every ``examples/plot_*.py`` script, from the first
lesson to the last; sphinx-gallery sorts the gallery with :class:`CourseOrder`
(``within_subsection_order`` in ``conf.py``). A new example goes into the list
where it belongs in the course; an example missing from the list stops the
build with a message that says so (``tests/test_docs.py`` checks the list
against the folder).
"""

COURSE_ORDER = [
    # a first classifier, then how to train it well
    "plot_classifier.py",
    "plot_overtraining.py",
    "plot_dropout.py",
    "plot_grid_search.py",
    # more classes, then from a score to a measurement
    "plot_multiclass.py",
    "plot_working_point.py",
    "plot_cross_training.py",
    "plot_feature_ranking.py",
    # a tagger that leaves the background mass alone
    "plot_decorrelation.py",
    # regression: a measured energy calibrated
    "plot_energy_regression.py",
    # simulation corrected to data
    "plot_reweighting.py",
    # autoencoders
    "plot_autoencoder_latent_space.py",
    "plot_anomaly_detection.py",
    "plot_deblurring.py",
    # generative adversarial networks, from a curve to events
    "plot_gan_cubic.py",
    "plot_gan_ellipse.py",
    "plot_gan_diboson.py",
    "plot_gan_calorimeter.py",
    # an analysis of one's own: files in, models out, more machines
    "plot_root_ntuples.py",
    "plot_save_and_onnx.py",
    "plot_dask.py",
]


class CourseOrder:
    """Sort key of sphinx-gallery: the position of an example in ``COURSE_ORDER``.

    Parameters
    ----------
    src_dir : str
        The folder of the examples (sphinx-gallery passes it; unused).
    """

    def __init__(self, src_dir=None):
        self.src_dir = src_dir

    def __repr__(self):  # sphinx-gallery compares configurations by their repr
        return "CourseOrder"

    def __call__(self, filename):
        name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
        if name not in COURSE_ORDER:
            raise ValueError(
                f"The example {name} is not in COURSE_ORDER of docs/gallery_order.py; "
                "add it where it belongs in the course."
            )
        return COURSE_ORDER.index(name)
