"""The pipeline's stages, one module per rule file, as plain functions of paths and settings.

``workflow/scripts/*.py`` pass ``snakemake.input/output/params/wildcards`` here and nothing else;
the tests call the same functions. Every output is written atomically (advsal.io). This package
imports nothing, so a rule's code hash (advsal.provenance) covers only the stage it runs.
"""
