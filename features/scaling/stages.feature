Feature: What each stage adds, and what it must survive
  Each stage adds one capability to the one before and takes on one new kind of failure.
  Stage 2 runs several instances, so an instance may die: sessions live in a shared store and
  survive it. Stage 3 draws module boundaries inside one process and enforces them. Stage 4
  splits the modules into services joined by events, so a process may die between writing and
  publishing an event, or between applying and acknowledging one: outboxes and idempotent
  consumers make sure that nothing is lost and nothing is applied twice.

  Background:
    Given the shop sells:
      | product | name   | price   | stock |
      | iphone  | iPhone | $999.00 | 3     |
      | ipad    | iPad   | $599.00 | 5     |

  Rule: Risk mitigation: stage 2 loses an instance without losing a session

    Scenario: The instance that served a customer fails, and the session lives on
      Given the shop is deployed as stage 2 with the catalog
      And the shop customer john is registered as John <john@example.com>
      And shop customer john has ordered 1 ipad with card 4242 4242 4242 4242
      When the shop instance that served john fails
      Then shop customer john orders 1 iphone with card 4242 4242 4242 4242 without logging in again
      And another shop instance served john
      And the shop order history of john lists 2 confirmed orders: 1 ipad, then 1 iphone

  Rule: Risk mitigation: stage 4 survives a process dying mid-event, with no double reservation

    A service can die in three gaps of the event protocol: a consumer between reading an event
    and acknowledging it, a publisher between committing an event to its outbox and publishing it,
    and a publisher between publishing and marking the outbox row. The first and the last make
    the broker deliver the event twice; the idempotent consumer applies it once. The planned
    crashes run on both targets: in process the work unwinds at that gap, on the real target the
    service process waits there and is killed with SIGKILL, then started again on the same port,
    database and Redis consumer. The two scenarios that say the crash after the order was
    submitted are embedded only: real services move the event before the next step can stop them.

    Scenario Outline: The <service> service killed between <gap> <topic> loses nothing and applies nothing twice
      Given the shop is deployed as stage 4 with the catalog
      And the shop customer john is registered as John <john@example.com>
      And the shop's <service> service will be killed between <gap> <topic>
      When shop customer john submits an order for 1 iphone with card 4242 4242 4242 4242
      And the shop's <service> service is killed there
      And the shop's <service> service restarts and the events settle
      Then the shop confirms the order with a total of $999.00
      And the shop has 2 iphone in stock
      And the shop holds 1 confirmed order and 1 payment
      And the shop's inventory service received order.created <deliveries> times and applied it once

      Examples:
        | service   | gap                        | topic              | deliveries |
        | inventory | reading and acknowledging  | order.created      | 2          |
        | orders    | committing and publishing  | order.created      | 1          |
        | orders    | publishing and marking     | order.created      | 2          |
        | payments  | reading and acknowledging  | inventory.reserved | 1          |
        | inventory | publishing and marking     | inventory.reserved | 1          |
        | orders    | reading and acknowledging  | payment.completed  | 1          |

    @target.embedded
    Scenario: The inventory service dies after reserving but before acknowledging order.created
      Given the shop is deployed as stage 4 with the catalog
      And the shop customer john is registered as John <john@example.com>
      When shop customer john submits an order for 1 iphone with card 4242 4242 4242 4242
      And the shop's inventory service dies before acknowledging the order.created event
      And the shop's inventory service restarts and the events settle
      Then the shop confirms the order with a total of $999.00
      And the shop has 2 iphone in stock
      And the shop's inventory service received order.created 2 times and applied it once

    @target.embedded
    Scenario: The order service dies between publishing order.created and marking it published
      Given the shop is deployed as stage 4 with the catalog
      And the shop customer john is registered as John <john@example.com>
      When shop customer john submits an order for 1 iphone with card 4242 4242 4242 4242
      And the shop's order service dies after publishing but before marking its outbox
      And the shop's order service restarts and the events settle
      Then the shop confirms the order with a total of $999.00
      And the shop has 2 iphone in stock
      And the shop's inventory service received order.created 2 times and applied it once

  Rule: Incremental growth: the modular monolith enforces the boundaries the monolith only implies

    Scenario Outline: The orders module reads the inventory table directly at stage <stage>
      Given the shop is deployed as stage <stage> with the catalog
      When the shop's orders module reads the inventory table directly
      Then the shop's module boundary check <answer>

      Examples:
        | stage | answer                                      |
        | 1     | allows it: one process, one schema          |
        | 3     | refuses it: inventory belongs to its module |
