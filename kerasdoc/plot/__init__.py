"""kerasdoc.plot: viewers in the scikit-learn Display shape, and the HTML report.

Every Display computes its data in a `from_model` / `from_predictions` (or
`from_history`, `from_subset`) classmethod, draws in `plot(*, ax=None)`, and
keeps `ax_` / `figure_`. matplotlib is imported only when something is drawn.
"""

from kerasdoc.plot._activations import ActivationStatsDisplay
from kerasdoc.plot._confusion import ConfusionMatrixDisplay
from kerasdoc.plot._curves import TrainingCurvesDisplay
from kerasdoc.plot._gradient_flow import GradientFlowDisplay
from kerasdoc.plot._html import figures_html, write_html_report
from kerasdoc.plot._sharpness import SharpnessDisplay
from kerasdoc.plot._single import SinglePredictionDisplay
from kerasdoc.plot._subset_view import SubsetDisplay
from kerasdoc.plot._top_losses import TopLossesDisplay

__all__ = [
    "ActivationStatsDisplay",
    "ConfusionMatrixDisplay",
    "GradientFlowDisplay",
    "SharpnessDisplay",
    "SinglePredictionDisplay",
    "SubsetDisplay",
    "TopLossesDisplay",
    "TrainingCurvesDisplay",
    "figures_html",
    "write_html_report",
]
