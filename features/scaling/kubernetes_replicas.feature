Feature: The Kubernetes replica calculation, case by case
  Stage 5's autoscaler is the Kubernetes HorizontalPodAutoscaler, computed from what the controller
  really sees: each pod's phase, readiness and start time, each pod's sample and request. Every
  example below is a case of Kubernetes' own tests (pkg/controller/podautoscaler,
  replica_calculator_test.go and horizontal_test.go), named after it, with its figures. Add a row to
  check a case of your own.

  How a metric becomes a replica count:

  - Deleted and failed pods are ignored; pending pods are unready; a pod with no sample is missing.
  - For CPU, a pod that is warming up is unready too: inside the 5-minute CPU initialisation period
    when its sample began before it was ready, and after it when it has never been ready.
  - CPU utilization is the ready pods' usage over their requests, rounded down to a whole percent.
    A pods metric is the ready pods' average, rounded down to a whole milli-unit.
  - Within the tolerance (ratio to the target between 0.9 and 1.1) the count stays; otherwise it is
    ceil(ratio x ready pods).
  - With missing pods, or unready pods on a scale-up, the controller guesses conservatively: missing
    pods at 0 % on a scale-up and at 100 % of their request on a scale-down, unready pods at 0 %. If
    the guess lands within the tolerance or reverses the direction, the count stays.
  - Object and external metrics read one value: a Value target scales the ready pods by
    value / target, an AverageValue target asks for ceil(value / target) pods.
  - The behaviour then limits the move: scale-up by default by 100 % or 4 pods per 15 s, whichever
    is more; policies per direction with selectPolicy Max, Min or Disabled; min and max bounds.

  Pods are written as a list, one state and one sample (milli-units; CPU in millicores) per pod:
  ready (running and ready), unready (never ready), warming (started 30 s ago, its CPU sample
  began before it was ready), pending, failed, deleted; "?" is a pod with no sample, and "gone 200"
  a sample left by a pod that is no longer listed. Kubernetes' tests give each pod two containers;
  one container with the same usage and request gives the same utilization.
  Sources: kubernetes.io, "Horizontal Pod Autoscaling", algorithm details; kubernetes/kubernetes,
  pkg/controller/podautoscaler/replica_calculator.go and horizontal.go.

  Rule: A resource metric: CPU utilization of the ready pods against a percent target

    Scenario Outline: Kubernetes case TestReplicaCalc<case>
      Given a deployment of <replicas> replicas whose pods are <pods>
      And each pod requests <requests> millicores of CPU
      When the autoscaler computes replicas for a CPU utilization target of <target>%
      Then the CPU utilization is <utilization>%
      And the autoscaler asks for <desired> replicas

      Examples: Scaling up
        | case                            | replicas | pods                                   | requests        | target | utilization | desired |
        | ScaleUp                         | 3        | ready 300, ready 500, ready 700        | 1000            | 30     | 50          | 5       |
        | ScaleUpUnreadyLessScale         | 3        | unready 300, ready 500, ready 700      | 1000            | 30     | 60          | 4       |
        | ScaleUpHotCpuLessScale          | 3        | warming 300, ready 500, ready 700      | 1000            | 30     | 60          | 4       |
        | ScaleUpUnreadyNoScale           | 3        | ready 400, unready 500, unready 700    | 1000            | 30     | 40          | 3       |
        | ScaleHotCpuNoScale              | 3        | ready 400, warming 500, warming 700    | 1000            | 30     | 40          | 3       |
        | ScaleUpIgnoresFailedPods        | 2        | ready 500, ready 700, failed, failed   | 1000            | 30     | 60          | 4       |
        | ScaleUpIgnoresDeletionPods      | 2        | ready 500, ready 700, deleted, deleted | 1000            | 30     | 60          | 4       |
        | SuperfluousMetrics              | 4        | ready 4000, ready 9500, ready 3000, ready 7000, gone 3200, gone 2000 | 1000 | 100 | 587 | 24 |

      Examples: Scaling down
        | case                            | replicas | pods                                                              | requests | target | utilization | desired |
        | ScaleDown                       | 5        | ready 100, ready 300, ready 500, ready 250, ready 250             | 1000     | 50     | 28          | 3       |
        | ScaleDownIncludeUnreadyPods     | 5        | ready 100, ready 300, ready 500, unready 250, unready 250         | 1000     | 50     | 30          | 2       |
        | ScaleDownExcludeUnscheduledPods | 5        | ready 100, pending, pending, pending, pending                     | 1000     | 50     | 10          | 1       |
        | ScaleDownIgnoreHotCpuPods       | 5        | ready 100, ready 300, ready 500, warming 250, warming 250         | 1000     | 50     | 30          | 2       |
        | ScaleDownIgnoresFailedPods      | 5        | ready 100, ready 300, ready 500, ready 250, ready 250, failed, failed   | 1000 | 50 | 28 | 3 |
        | ScaleDownIgnoresDeletionPods    | 5        | ready 100, ready 300, ready 500, ready 250, ready 250, deleted, deleted | 1000 | 50 | 28 | 3 |
        | DuringRollingUpdateWithMaxSurge | 2        | ready 100, ready 100, ready ?                                     | 1000     | 50     | 10          | 2       |

      Examples: The tolerance
        | case      | replicas | pods                               | requests        | target | utilization | desired |
        | Tolerance | 3        | ready 1010, ready 1030, ready 1020 | 900, 1000, 1100 | 100    | 102         | 3       |

      Examples: Missing samples, guessed conservatively
        | case                           | replicas | pods                                       | requests | target | utilization | desired |
        | MissingMetrics                 | 4        | ready 400, ready 95, ready ?, ready ?      | 1000     | 100    | 24          | 3       |
        | MissingMetricsNoChangeEq       | 2        | ready 1000, ready ?                        | 1000     | 100    | 100         | 2       |
        | MissingMetricsNoChangeGt       | 2        | ready 1900, ready ?                        | 1000     | 100    | 190         | 2       |
        | MissingMetricsNoChangeLt       | 2        | ready 600, ready ?                         | 1000     | 100    | 60          | 2       |
        | MissingMetricsUnreadyChange    | 3        | unready 100, ready 450, ready ?            | 1000     | 50     | 45          | 3       |
        | MissingMetricsHotCpuNoChange   | 3        | warming 100, ready 450, ready ?            | 1000     | 50     | 45          | 3       |
        | MissingMetricsUnreadyScaleUp   | 3        | unready 100, ready 2000, ready ?           | 1000     | 50     | 200         | 4       |
        | MissingMetricsHotCpuScaleUp    | 3        | warming 100, ready 2000, ready ?           | 1000     | 50     | 200         | 4       |
        | MissingMetricsUnreadyScaleDown | 4        | unready 100, ready 100, ready 100, ready ? | 1000     | 50     | 10          | 3       |

    Scenario Outline: Kubernetes case TestReplicaCalc<case> refuses to compute
      Given a deployment of <replicas> replicas whose pods are <pods>
      And each pod requests <requests> millicores of CPU
      When the autoscaler computes replicas for a CPU utilization target of <target>%
      Then the autoscaler refuses to compute: <message>

      Examples:
        | case                    | replicas | pods              | requests | target | message                                  |
        | DisjointResourcesMetrics | 1       | ready ?, gone 100 | 1000     | 100    | no metrics returned matched known pods   |
        | EmptyMetrics            | 4        | ready ?, ready ?, ready ? | 1000 | 100 | did not receive metrics for targeted pods |
        | EmptyCPURequest         | 1        | ready 200         | none     | 100    | missing request for                      |

  Rule: Pods, object and external metrics: milli-units against a Value or AverageValue target

    Scenario Outline: Kubernetes case TestReplicaCalc<case> (a pods metric)
      Given a deployment of <replicas> replicas whose pods are <pods>
      When the autoscaler computes replicas for the pods' qps samples against an average value target of <target>
      Then the metric's current value is <usage>
      And the autoscaler asks for <desired> replicas

      Examples:
        | case                                      | replicas | pods                                                        | target | usage | desired |
        | ScaleUpCM                                 | 3        | ready 20000, ready 10000, ready 30000                       | 15000  | 20000 | 4       |
        | ScaleUpCMUnreadyHotCpuNoLessScale         | 3        | ready 50000, ready 10000, warming 30000                     | 15000  | 30000 | 6       |
        | ScaleUpCMUnreadyHotCpuScaleWouldScaleDown | 3        | warming 50000, ready 15000, warming 30000                   | 15000  | 31666 | 7       |
        | ScaleUpCMExternal                         | 1        | ready 8600                                                  | 4400   | 8600  | 2       |
        | ScaleUpCMExternalNoLabels                 | 1        | ready 8600                                                  | 4400   | 8600  | 2       |
        | ScaleDownCM                               | 5        | ready 12000, ready 12000, ready 12000, ready 12000, ready 12000 | 20000 | 12000 | 3     |
        | ToleranceCM                               | 3        | ready 20000, ready 21000, ready 21000                       | 20000  | 20666 | 3       |

    Scenario Outline: Kubernetes case TestReplicaCalc<case> (an <source> metric)
      Given a deployment of <replicas> replicas whose pods are <pods>
      When the autoscaler computes replicas for an <source> metric of <value> against a <kind> target of <target>
      Then the metric's current value is <usage>
      And the autoscaler asks for <desired> replicas

      Examples:
        | case                                | replicas | pods                                 | source   | value | kind          | target | usage | desired |
        | ScaleUpCMObject                     | 3        | ready, ready, ready                  | object   | 20000 | value         | 15000  | 20000 | 4       |
        | ScaleUpCMPerPodObject               | 3        | ready, ready, ready                  | object   | 20000 | average value | 5000   | 6667  | 4       |
        | ScaleUpCMObjectIgnoresUnreadyPods   | 3        | unready, ready, unready              | object   | 50000 | value         | 10000  | 50000 | 5       |
        | ScaleUpCMExternalIgnoresUnreadyPods | 3        | unready, ready, unready              | external | 8600  | value         | 4400   | 8600  | 2       |
        | ScaleUpPerPodCMExternal             | 3        | ready, ready, ready                  | external | 8600  | average value | 2150   | 2867  | 4       |
        | ScaleDownPerPodCMObject             | 5        | ready, ready, ready, ready, ready    | object   | 6000  | average value | 2000   | 1200  | 3       |
        | ScaleDownCMObject                   | 5        | ready, ready, ready, ready, ready    | object   | 12000 | value         | 20000  | 12000 | 3       |
        | ScaleDownCMExternal                 | 5        | ready, ready, ready, ready, ready    | external | 8600  | value         | 14334  | 8600  | 3       |
        | ScaleDownPerPodCMExternal           | 5        | ready, ready, ready, ready, ready    | external | 8600  | average value | 2867   | 1720  | 3       |
        | ToleranceCMObject                   | 3        | ready, ready, ready                  | object   | 20666 | value         | 20000  | 20666 | 3       |
        | TolerancePerPodCMObject             | 4        | ready, ready, ready, ready           | object   | 20166 | average value | 5000   | 5042  | 4       |
        | ToleranceCMExternal                 | 3        | ready, ready, ready                  | external | 8600  | value         | 8888   | 8600  | 3       |
        | TolerancePerPodCMExternal           | 3        | ready, ready, ready                  | external | 8600  | average value | 2900   | 2867  | 3       |

  Rule: Behaviour: policies limit how fast the count moves, and the bounds hold

    Scenario Outline: Kubernetes case TestScalingWithRules: <case>
      Given an autoscaler of <min> to <max> replicas that scales up by <up> and down by <down>
      And the autoscaler's recent scale events were <events>
      When the autoscaler normalises a proposal of <proposal> replicas while <current> run
      Then the autoscaler runs <replicas> replicas, limited by <reason>

      Examples: The bounds
        | case                                                                  | min | max  | up      | down    | events | current | proposal | replicas | reason             |
        | prenormalized desired replicas within range                           | 3   | 8    | default | default | none   | 5       | 7        | 7        | DesiredWithinRange |
        | prenormalized desired replicas < minReplicas                          | 2   | 8    | default | default | none   | 3       | 1        | 2        | TooFewReplicas     |
        | maxReplicas is the limit because maxReplicas < scaleUpLimit           | 1   | 10   | default | default | none   | 20      | 1000     | 10       | TooManyReplicas    |
        | desired replica count is more than the maximum replica count          | 100 | 150  | default | default | none   | 100     | 1000     | 150      | TooManyReplicas    |

      Examples: Scaling up
        | case                                                                  | min | max  | up                                          | down    | events | current | proposal | replicas | reason          |
        | scaleUp with default behavior                                         | 1   | 1000 | default                                     | default | none   | 10      | 50       | 20       | ScaleUpLimit    |
        | scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies | 1 | 2000 | 1 percent per 60 s                | default | none   | 3       | 1000     | 4        | ScaleUpLimit    |
        | scaleUp with pods policy larger than percent policy                   | 1   | 1000 | 100 pods per 60 s, 100 percent per 60 s     | default | none   | 10      | 500      | 110      | ScaleUpLimit    |
        | scaleUp with percent policy larger than pods policy                   | 1   | 1000 | 2 pods per 60 s, 100 percent per 60 s       | default | none   | 10      | 500      | 20       | ScaleUpLimit    |
        | scaleUp with spec MaxReplicas limitation with large pod policy        | 1   | 1000 | 100 pods per 60 s                           | default | none   | 10      | 50       | 50       | DesiredWithinRange |
        | scaleUp with pod policy limitation                                    | 1   | 1000 | 30 pods per 60 s                            | default | none   | 10      | 50       | 40       | ScaleUpLimit    |
        | scaleUp with percent policy limitation                                | 1   | 1000 | 200 percent per 60 s                        | default | none   | 10      | 50       | 30       | ScaleUpLimit    |

      Examples: Scaling down
        | case                                                                  | min | max  | up      | down                                                  | events | current | proposal | replicas | reason          |
        | scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies | 3 | 2000 | default | 20 pods per 60 s, window 0 s | none | 1000 | 3 | 980 | ScaleDownLimit |
        | scaleDown with percent policy larger than pod policy                  | 1   | 1000 | default | 20 pods per 60 s, 1 percent per 60 s                  | none   | 100     | 2        | 80       | ScaleDownLimit  |
        | scaleDown with pod policy larger than percent policy                  | 1   | 1000 | default | 2 pods per 60 s, 1 percent per 60 s                   | none   | 100     | 2        | 98       | ScaleDownLimit  |
        | scaleDown with spec MinReplicas limitation with large pod policy      | 1   | 1000 | default | 100 pods per 60 s                                     | none   | 10      | 0        | 1        | TooFewReplicas  |
        | scaleDown with spec MinReplicas limitation with large percent policy  | 5   | 1000 | default | 100 percent per 60 s                                  | none   | 10      | 2        | 5        | TooFewReplicas  |
        | scaleDown with pod policy limitation                                  | 1   | 1000 | default | 5 pods per 60 s                                       | none   | 10      | 2        | 5        | ScaleDownLimit  |
        | scaleDown with percent policy limitation                              | 1   | 1000 | default | 50 percent per 60 s                                   | none   | 10      | 5        | 5        | DesiredWithinRange |

      Examples: Recent scale events count against the period (events at 100, 60 and 20 s ago)
        | case                                                                  | min | max  | up                  | down    | events                          | current | proposal | replicas | reason          |
        | scaleUp with spec MaxReplicas limitation with large pod policy and events | 1 | 200 | 300 pods per 60 s | default | +1 100 s ago, +5 60 s ago, +9 20 s ago | 100 | 500 | 200 | TooManyReplicas |
        | scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events | 1 | 1000 | 5 pods per 120 s | default | +1 100 s ago, +5 60 s ago, +9 20 s ago | 100 | 500 | 100 | ScaleUpLimit |
        | scaleUp with pod policy and previous scale up events                  | 1   | 1000 | 150 pods per 120 s  | default | +1 100 s ago, +5 60 s ago, +9 20 s ago | 100 | 500  | 235      | ScaleUpLimit    |

      Examples: selectPolicy Min takes the smallest change, Disabled none (TestCalculateScaleDownLimitWithBehaviors and our own)
        | case                                          | min | max | up      | down                                             | events | current | proposal | replicas | reason         |
        | scale down limit with select policy Min       | 1   | 10  | default | 2 pods per 60 s, 50 percent per 60 s, select Min | none   | 5       | 1        | 3        | ScaleDownLimit |
        | scale down with select policy Disabled (ours) | 1   | 10  | default | 2 pods per 60 s, select Disabled                 | none   | 5       | 1        | 5        | ScaleDownLimit |
        | scale up with select policy Min (ours)        | 1   | 100 | 4 pods per 15 s, 100 percent per 15 s, select Min | default | none | 10      | 50       | 14       | ScaleUpLimit   |

    Scenario: The default behaviour caps a large scale-up at 100 % or 4 pods per 15 seconds
      Given an autoscaler of 1 to 20 replicas with a CPU target of 50%
      And the autoscaled deployment runs 1 replicas
      When the autoscaler reconciles with CPU at 500%
      Then the autoscaler runs 5 replicas, limited by ScaleUpLimit
