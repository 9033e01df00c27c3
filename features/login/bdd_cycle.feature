Feature: The BDD cycle: discovery, feature file, steps, red, green, refactor
  Behaviour-driven development (BDD) is a way of building software by first agreeing, between
  developers, testers and the business, on examples of how it should behave, written in plain
  language, and then running those examples as tests. It grew out of test-driven development
  (Dan North, "Introducing BDD", 2006); Gherkin, the Given-When-Then language of Cucumber and
  behave, is its common notation.

  Key properties (seed, day 8): natural language; collaboration between technical and
  non-technical people; outside-in (start from what the user sees, work inwards to the code);
  living documentation (the specification is the test suite, so it cannot go stale); Gherkin
  syntax. Given sets the context, When is the event, Then the expected outcome, And/But add more.

  The process flow of the seed: 1. a discovery workshop finds the examples; 2. they are written
  as feature files; 3. step definitions connect each phrase to code; 4. the run is red, because
  the steps or the feature do not exist yet; 5. the feature is implemented until the run is green;
  6. the code is refactored while it stays green; 7. repeat. The scenarios below run that cycle
  on a small greeting feature in a temporary folder, with behave in a child process, one turn of
  the cycle per scenario (each Rule's Background sets the workspace up as the turn finds it), and
  attach what behave printed. The "User Login" feature beside this one is the result of the
  same cycle on the seed's own example.

  Rule: A phrase nobody has defined yet makes the run red, and behave proposes its definition

    Background:
      Given a BDD workspace with the feature file "greeting":
        """
        Feature: Greeting a returning customer
          Scenario: A returning customer is greeted by name
            Given a customer named "John"
            When the customer arrives at the dashboard
            Then the greeting reads "Welcome back, John!"
        """
      And the BDD workspace has the application module "shop":
        """
        def greeting(name):
            return f"Welcome back, {name}!"
        """
      And the BDD workspace has the step module "greeting_steps":
        """
        from behave import given, when, then
        import shop

        @given('a customer named "{name}"')
        def step_customer(context, name):
            context.name = name

        @when("the customer arrives at the dashboard")
        def step_arrives(context):
            context.greeting = shop.greeting(context.name)
        """

    Scenario: An undefined step makes the run red, with a snippet that defines it
      When behave runs the BDD workspace
      Then the BDD workspace run is red
      And the BDD workspace run reports 1 step undefined
      And the BDD workspace run proposes a snippet for the step 'the greeting reads "Welcome back, John!"'

    Scenario: Defining the missing step turns the run green
      Given the step module "greeting_steps" of the BDD workspace gains:
        """
        @then('the greeting reads "{text}"')
        def step_greeting(context, text):
            assert context.greeting == text, f"expected {text!r}, got {context.greeting!r}"
        """
      When behave runs the BDD workspace
      Then the BDD workspace run is green
      And the BDD workspace run reports 1 scenario passed

  Rule: Defined steps over a missing feature are red until the feature is built, and stay green through a refactoring

    Background:
      Given a BDD workspace with the feature file "greeting":
        """
        Feature: Greeting a returning customer
          Scenario: A returning customer is greeted by name
            Given a customer named "John"
            When the customer arrives at the dashboard
            Then the greeting reads "Welcome back, John!"
        """
      And the BDD workspace has the application module "shop":
        """
        def greeting(name):
            return ""  # discovered and specified, not built yet
        """
      And the BDD workspace has the step module "greeting_steps":
        """
        from behave import given, when, then
        import shop

        @given('a customer named "{name}"')
        def step_customer(context, name):
            context.name = name

        @when("the customer arrives at the dashboard")
        def step_arrives(context):
            context.greeting = shop.greeting(context.name)

        @then('the greeting reads "{text}"')
        def step_greeting(context, text):
            assert context.greeting == text, f"expected {text!r}, got {context.greeting!r}"
        """

    Scenario: Steps over a feature not built yet make the run red
      When behave runs the BDD workspace
      Then the BDD workspace run is red
      And the BDD workspace run reports 1 step failed

    Scenario: Building the feature turns the run green
      Given the application module "shop" of the BDD workspace becomes:
        """
        def greeting(name):
            return "Welcome back, " + name + "!"
        """
      When behave runs the BDD workspace
      Then the BDD workspace run is green

    Scenario: The refactored feature keeps the run green
      Given the application module "shop" of the BDD workspace becomes:
        """
        GREETING = "Welcome back, {name}!"


        def greeting(name: str) -> str:
            return GREETING.format(name=name)
        """
      When behave runs the BDD workspace
      Then the BDD workspace run is green
      And the BDD workspace run reports 3 steps passed

  Rule: The step catalog is the glossary of the specification
    Every step phrase of every concept, with the one line that says what it means, as
    `behave --steps-catalog` prints it. The catalog is attached to this scenario.

    Scenario: Every login step carries a one-line meaning in the step catalog
      When the step catalog of the specification is compiled
      Then the step catalog describes every login step in one line
      And the step catalog lists the step "I am on the login page"
      And the step catalog lists the step "I should see error message "{message}""
