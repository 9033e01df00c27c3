Feature: Autoscaling with the HorizontalPodAutoscaler algorithm
  Stage 5 adds an autoscaler: the number of instances follows the load. This is the Kubernetes
  HorizontalPodAutoscaler algorithm (autoscaling/v2), exactly:

  - for each metric, desired = ceil(current replicas x current utilization / target utilization);
  - no change while current/target is within the tolerance of 1.0 (0.1 by default);
  - with several metrics, the largest proposal wins;
  - the result stays within [minReplicas, maxReplicas];
  - scale-down is stabilised: the highest recommendation of the last 300 seconds is used, so a
    short dip does not remove instances the next spike needs.

  The configuration is the seed's: 3 to 20 replicas, CPU at 70 % and memory at 80 % of the
  requests. Source: kubernetes.io, "Horizontal Pod Autoscaling", algorithm details.

  Background:
    Given the seed's autoscaler: 3 to 20 replicas, CPU target 70%, memory target 80%

  Rule: Cost optimisation: pay for instances only when the load needs them

    Scenario Outline: The autoscaler's proposal for <replicas> replicas at CPU <cpu>% and memory <memory>%
      Given the autoscaled deployment runs <replicas> replicas
      When the autoscaler observes CPU at <cpu>% and memory at <memory>%
      Then the autoscaler asks for <desired> replicas

      Examples: Within the tolerance nothing changes
        | replicas | cpu | memory | desired |
        | 3        | 70  | 50     | 3       |
        | 3        | 76  | 50     | 3       |
        | 5        | 64  | 85     | 5       |

      Examples: Scaling up to the computed count, capped at the maximum
        | replicas | cpu | memory | desired |
        | 3        | 140 | 50     | 6       |
        | 4        | 100 | 40     | 6       |
        | 10       | 350 | 50     | 20      |

      Examples: The largest proposal across the metrics wins
        | replicas | cpu | memory | desired |
        | 4        | 100 | 90     | 6       |
        | 4        | 80  | 160    | 8       |

      Examples: Never below the minimum
        | replicas | cpu | memory | desired |
        | 3        | 10  | 20     | 3       |

    Scenario: A simulated day: the replicas follow the load
      When the autoscaler runs the shop through a simulated day of traffic
      Then the autoscaled deployment never runs fewer than 3 or more than 20 replicas
      And the autoscaled deployment uses less than half the replica-hours of running 20 all day
      And CPU stays at or below 90% in at least 95% of the minutes

  Rule: Smooth transitions: scale-down waits for the stabilisation window

    Scenario: A drop in load removes replicas only after 300 seconds
      Given the autoscaled deployment has run 10 replicas at CPU 70% and memory 60% for 5 minutes
      When the load drops to CPU 35% and memory 40% for 8 minutes, observed every 60 seconds
      Then the autoscaler keeps 10 replicas until 300 seconds after the drop
      And then the autoscaler scales down to 5 replicas
