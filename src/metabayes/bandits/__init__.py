"""Two-armed bandits: everything the bandit half of the paper needs besides the task list.

- :mod:`~metabayes.bandits.arms`: arm families (Bernoulli, Gaussian), one class per reward
  distribution, with the Bayes state, Gittins indices and dynamic programme of each;
- :mod:`~metabayes.bandits.gittins`: Gittins indices by calibration (the numerical core);
- :mod:`~metabayes.bandits.dp`: finite-horizon backward induction, exact or on a grid;
- :mod:`~metabayes.bandits.policy`: policies and the greedy choice with its tie rule;
- :mod:`~metabayes.bandits.agents`: the Gittins (Opt), dynamic-programming and random agents;
- :mod:`~metabayes.bandits.games`: agents playing episodes on shared reward tables;
- :mod:`~metabayes.bandits.index_tables`: the Gittins-table files of the workflow.

The tasks themselves (priors, episodes, inputs) are in :mod:`metabayes.tasks.bandit`.
"""
