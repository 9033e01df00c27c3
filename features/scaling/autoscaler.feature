Feature: Autoscaling with the HorizontalPodAutoscaler algorithm
  Stage 5 adds an autoscaler: the number of instances follows the load. This is the Kubernetes
  HorizontalPodAutoscaler algorithm (autoscaling/v2), exactly:

  - for each metric, desired = ceil(current replicas x current utilization / target utilization);
  - no change while current/target is within the tolerance of 1.0 (0.1 by default);
  - utilization is a whole percent (Kubernetes rounds it down before dividing by the target);
  - with several metrics, the largest proposal wins; a metric with no reading never blocks a
    scale-up but does block a scale-down (it might need the replicas the others would remove);
  - the result stays within [minReplicas, maxReplicas];
  - scale-down is stabilised: the highest recommendation of the last 300 seconds is used, so a
    short dip does not remove instances the next spike needs;
  - scale-up is rate-limited: by default by 100 % or 4 pods per 15 seconds, whichever is more.

  The per-pod calculation behind each figure, checked case by case against Kubernetes' own tests,
  is in "The Kubernetes replica calculation, case by case".

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

      Examples: Utilization is a whole percent: 76.9 % counts as 76 %, within the tolerance of 70 %; 77 % is not
        | replicas | cpu  | memory | desired |
        | 10       | 76.9 | 50     | 10      |
        | 10       | 77   | 50     | 11      |

    Scenario Outline: The seed's autoscaler with a CPU reading alone, at <replicas> replicas and CPU <cpu>%
      Given the autoscaled deployment runs <replicas> replicas
      When the autoscaler observes CPU at <cpu>%
      Then the autoscaler asks for <desired> replicas

      Examples: CPU alone scales up; without a memory reading it does not scale down
        | replicas | cpu | desired |
        | 3        | 140 | 6       |
        | 10       | 35  | 10      |
        | 5        | 70  | 5       |

    Scenario Outline: An autoscaler that watches CPU only, at <replicas> replicas and CPU <cpu>%
      Given an autoscaler of 2 to 10 replicas with a CPU target of 50%
      And the autoscaled deployment runs <replicas> replicas
      When the autoscaler observes CPU at <cpu>%
      Then the autoscaler asks for <desired> replicas

      Examples:
        | replicas | cpu | desired |
        | 4        | 100 | 8       |
        | 4        | 20  | 2       |
        | 4        | 54  | 4       |
        | 8        | 200 | 10      |

    Scenario: A simulated day: the replicas follow the load
      When the autoscaler runs the shop through a simulated day of traffic
      Then the autoscaled deployment never runs fewer than 3 or more than 20 replicas
      And the autoscaled deployment uses less than half the replica-hours of running 20 all day
      And CPU stays at or below 90% in at least 95% of the minutes

  Rule: Smooth transitions: scale-down waits for the stabilisation window

    The window counts from the last high recommendation, not from the first low one: here the last
    reading at the old load came 60 seconds before the first reading after the drop, so its
    recommendation of 10 replicas leaves the 300-second window 240 seconds after the drop
    (Kubernetes keeps a recommendation while it is younger than the window).

    Scenario: A drop in load removes replicas only once the last high recommendation is 300 seconds old
      Given the autoscaled deployment has run 10 replicas at CPU 70% and memory 60% for 5 minutes
      When the load drops to CPU 35% and memory 40% for 8 minutes, observed every 60 seconds
      Then the autoscaler keeps 10 replicas until 240 seconds after the drop
      And the autoscaler scales down to 5 replicas

    Scenario: A longer run at the old load does not delay the scale-down
      Given the autoscaled deployment has run 10 replicas at CPU 70% and memory 60% for 6 minutes
      When the load drops to CPU 35% and memory 40% for 8 minutes, observed every 60 seconds
      Then the autoscaler keeps 10 replicas until 240 seconds after the drop
      And then the autoscaler scales down to 5 replicas

  Rule: Stage 5 on real processes: the autoscaler starts and stops order-service replicas

    The order service of a real stage-4 deployment runs as uvicorn processes behind the balancer.
    Every sync the controller reads each replica's CPU time from /proc, divides it by the replica's
    CPU request and asks the HorizontalPodAutoscaler for a count; new replicas join the same
    database and Redis consumer group, and replicas scaled away leave the balancer before they stop.
    Kubernetes syncs every 15 s and waits 300 s before scaling down; here the clock is compressed
    (a sync every 2 s, a 6 s scale-down window, one replica more or less per sync) so the run takes
    a minute. Only the real target has processes to scale; the embedded run skips this rule.

    @target.real
    Scenario: Orders keep flowing while replicas come and go
      Given the shop sells:
        | product | name   | price   | stock  |
        | iphone  | iPhone | $999.00 | 100000 |
      And the shop is deployed as stage 4 with the catalog
      And the shop's order service is autoscaled from 1 to 4 replicas at a CPU target of 60% of 80 millicores
      When orders arrive for 60 seconds at a rate rising from 1 to 30 per second and falling back
      Then the autoscaler started order-service replicas as the load rose and stopped some as it fell
      And every order the shop accepted was settled exactly once, and none was lost
