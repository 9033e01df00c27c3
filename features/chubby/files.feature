Feature: Small files for configuration in a Chubby cell
  Chubby's namespace is a tree of files and directories named like /ls/<cell>/dir/file. Files are
  small (at most 256 KiB) and hold configuration, addresses, or the name of a leader. Each node
  carries metadata: an instance number (greater for each new node of the same name), a content
  generation (bumped by each write), a lock generation and an ACL generation, and the names of its
  ACLs. Clients cache file contents; a write completes only after every cached copy has been
  invalidated (or its session lease ran out), so no client reads stale data from its cache.
  Clients may subscribe to events: contents modified, child added or removed, lock acquired,
  conflicting lock request.

  On the real target a file is an etcd key, and the client library keeps files small (256 KiB), as
  Chubby's does (etcd itself would take up to 1.5 MiB). The other scenarios are embedded only: etcd
  has no client cache to invalidate, no per-node events of these kinds, and no node metadata of
  Chubby's shape (instance number, lock and ACL generations).

  Background:
    Given a Chubby cell of 5 replicas
    And the Chubby clients Writer, Reader have open sessions

  Rule: A file holds small contents with metadata

    @target.embedded
    Scenario: Configuration is written, read back, and versioned
      When the Chubby client Writer writes "replicas=3" to /ls/local/config/service
      And the Chubby client Writer writes "replicas=5" to /ls/local/config/service
      Then the Chubby client Reader reads "replicas=5" from /ls/local/config/service
      And the Chubby file /ls/local/config/service has this metadata:
        | field              | value |
        | kind               | file  |
        | instance_number    | 1     |
        | content_generation | 2     |
        | lock_generation    | 0     |

    @target.embedded
    Scenario: A file recreated under the same name gets a greater instance number
      When the Chubby client Writer writes "a" to /ls/local/config/flag
      And the Chubby client Writer deletes /ls/local/config/flag
      And the Chubby client Writer writes "b" to /ls/local/config/flag
      Then the Chubby file /ls/local/config/flag has this metadata:
        | field           | value |
        | instance_number | 2     |

    Scenario Outline: Files of <size> bytes are <verdict>
      When the Chubby client Writer writes <size> bytes to /ls/local/config/blob
      Then the Chubby write is <verdict>

      Examples:
        | size   | verdict  |
        | 1024   | accepted |
        | 262144 | accepted |
        | 262145 | refused  |

  Rule: A write completes only after every cached copy is invalidated

    @target.embedded
    Scenario: A reader's cached copy is invalidated before the write completes
      Given the Chubby client Writer has written "v1" to /ls/local/config/service
      And the Chubby client Reader has read /ls/local/config/service into its cache
      When the Chubby client Writer writes "v2" to /ls/local/config/service
      Then the Chubby client Reader no longer caches /ls/local/config/service
      And the Chubby client Reader reads "v2" from /ls/local/config/service

    @target.embedded
    Scenario: A cached copy of an unreachable reader is waited out until its lease ends
      Given the Chubby client Writer has written "v1" to /ls/local/config/service
      And the Chubby client Reader has read /ls/local/config/service into its cache
      When the Chubby client Reader is cut off from the cell
      And the Chubby client Writer writes "v2" to /ls/local/config/service
      Then the Chubby write took at least 1 second, waiting for Reader's lease to end

  Rule: Subscribed clients are told of changes

    @target.embedded
    Scenario: A reader subscribed to a directory and a file hears of changes
      Given the Chubby client Writer has written "v1" to /ls/local/config/service
      And the Chubby client Reader subscribes to "child added, contents modified" on /ls/local/config
      And the Chubby client Reader subscribes to "contents modified" on /ls/local/config/service
      When the Chubby client Writer writes "v2" to /ls/local/config/service
      And the Chubby client Writer writes "on" to /ls/local/config/feature
      And the Chubby cell runs for 1 seconds
      Then the Chubby client Reader received these events:
        | event             | path                     |
        | contents modified | /ls/local/config/service |
        | child added       | /ls/local/config         |
