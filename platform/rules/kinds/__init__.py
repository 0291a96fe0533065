"""The built-in event kinds, one module each: what recording an event of the kind
involves beyond evaluating and posting it (see `base.Kind`); `catalog` maps kinds to them."""
