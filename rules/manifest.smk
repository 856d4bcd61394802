# The run's manifest: SHA-256 of every file under results/ (logs and timings aside), written
# once all products (PRODUCTS, in the Snakefile) exist. `sha256sum -c results/manifest.sha256`
# checks a copy of them, and two runs of one config compare by their manifests (identical on
# the same machine).


rule manifest:
    input:
        PRODUCTS,
    output:
        "results/manifest.sha256",
    log:
        "results/logs/manifest.log",
    conda:
        "../envs/metabayes.yaml"
    script:
        "../workflow/scripts/write_manifest.py"
