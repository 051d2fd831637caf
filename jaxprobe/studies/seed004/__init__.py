"""Study: seed 004 (Palmieri et al., "Probing a Deep Neural Network", 2020) on a VGG-style CNN.

``network`` (data, training with a checkpoint, accuracy), ``measures`` (flows from one deep unit
and their correlation with the image inside the field of view, exact filters, best inputs,
max-activating images, active-feature fractions), ``claims`` (the seed's claims as criteria and
verdict rows), ``figures`` (Fig. 4–6 and the measures' plots).
"""
