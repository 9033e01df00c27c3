Feature: Exploring interleavings, sampling schedules and exporting timelines
  A controlled asyncio loop decides which ready task runs next, so a run is determined by its
  schedule. The explorer runs a program once per interleaving, depth first (stateless model
  checking, Godefroid 1997). Tasks of k1, k2, ... steps have (k1 + k2 + ...)! / (k1! k2! ...)
  interleavings; dynamic partial-order reduction (Flanagan and Godefroid 2005; with source sets and sleep
  sets, Abdulla, Aronis, Jonsson and Sagonas 2014) skips those that differ only in the order of
  independent steps (steps on different objects).

  Programs too large to enumerate are sampled. PCT (Burckhardt, Kothari, Musuvathi and
  Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS
  2010) gives tasks random priorities and lowers the running task's priority at d - 1 random
  steps; a bug of depth d among n tasks and k steps shows with probability at least 1/(n k^(d-1))
  per run.

  A recorded timeline exports to the Chrome trace event format, which Perfetto
  (ui.perfetto.dev) and chrome://tracing open: one thread per task, one slice per event and a flow
  arrow per causal edge; and to OpenTelemetry spans, one per task.

  Rule: The explorer's count is the number of interleavings computed by hand

    Scenario Outline: Tasks of <steps> steps on <objects>
      Given a program of tasks with <steps> steps that write <objects>
      When the explorer runs every interleaving of the task program
      Then the explorer explored <count> interleavings
      And the interleaving count is the multinomial of the task steps
      When the explorer runs the task program with partial-order reduction
      Then the explorer explored <reduced> interleavings

      Examples:
        | steps   | objects          | count | reduced |
        | 1, 1    | one shared object | 2     | 2       |
        | 2, 2    | one shared object | 6     | 6       |
        | 1, 2, 3 | one shared object | 60    | 60      |
        | 2, 2    | their own objects | 6     | 1       |
        | 2, 2, 2 | their own objects | 90    | 1       |

  Rule: PCT samples schedules of programs too large to enumerate

    Scenario Outline: PCT finds the cart's lost removal
      Given the seed's shopping cart calls add product1, add product2 and remove product1
      And the cart operations take 10 ms, 20 ms and 100 ms
      When PCT samples <runs> schedules of the racy cart with depth <depth> from seed <seed>
      Then some PCT schedules lose the removal
      And every PCT schedule that loses the removal replays to the same cart

      Examples:
        | runs | depth | seed |
        | 30   | 1     | 1    |
        | 30   | 2     | 7    |
        | 30   | 3     | 11   |

  Rule: A timeline exports to Perfetto and OpenTelemetry

    Scenario: The Chrome trace of the seed's cart
      Given the seed's shopping cart calls add product1, add product2 and remove product1
      And the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then the Chrome trace names the threads main, add-product1, add-product2, remove-product1
      And the Chrome trace has one flow arrow per causal edge of the timeline
      And the Chrome trace has one slice per event of the timeline

    Scenario: The OpenTelemetry spans of the seed's cart
      Given the seed's shopping cart calls add product1, add product2 and remove product1
      And the cart operations take 66 ms, 87 ms and 43 ms
      When the racy cart runs in simulated time
      Then the OpenTelemetry export has a span per task, each cart operation a child of main
