# Sessions, dreams and proposals arrive with the dream pipeline.
