# Reproduction of "Meta-trained agents implement Bayes-optimal agents" (Mikulik et al., NeurIPS 2020).
#
#   snakemake --cores all                                 paper scale (config.yaml)
#   snakemake --cores all --configfile presets/quick.yaml quick preset, a first look in minutes
#   snakemake --cores all behaviour                       one stage (gittins, train, traces,
#                                                         behaviour, structure, robustness,
#                                                         convergence)
#   snakemake --cores all results/fig4.pdf                one figure (or fig1 … fig4 targets)
#   snakemake --cores all fig3_all                        Figure 3 of every task (App. D.5, D.1)
#   snakemake --cores all fig_memory                      an appendix figure (or fig_width, or
#                                                         ablation for both: App. D.7, D.3)
#   snakemake --report results/report.html               every figure with its caption

import os
import sys

# The package lives in src/; jobs import it from there in any environment (venv or conda).
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(
    PYTHONPATH=os.pathsep.join(filter(None, [SRC, os.getenv("PYTHONPATH")]))
)

from metabayes.config import validate_config


configfile: os.path.join(workflow.basedir, "config.yaml")


validate_config(config)


# snakemake --report results/report.html: every figure, captioned from report/.
report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/prediction.smk"
include: "rules/bandit.smk"
include: "rules/behaviour.smk"
include: "rules/ablation.smk"
include: "rules/structure.smk"
include: "rules/convergence.smk"
include: "rules/fig1.smk"


# Everything the configuration asks for (Figures 1–3 when their tasks are configured).
PRODUCTS = [
    rules.behaviour.input,
    rules.tabulate_fig7.output,
    rules.plot_fig4.output,
    rules.write_claims.output,
    rules.tabulate_robustness.output,
    rules.convergence.input,
    rules.plot_fig1.output if set(FIG1_TASKS) <= set(TASKS) else [],
    rules.plot_fig2.output if set(FIG2_TASKS) <= set(TASKS) else [],
    rules.plot_fig3.output if set(FIG3_TASKS) <= set(TASKS) else [],
    rules.fig3_all.input,
    rules.ablation.input if ABLATION_CELLS else [],
]


rule all:
    default_target: True
    input:
        "results/manifest.sha256",  # written once every product exists


include: "rules/manifest.smk"
