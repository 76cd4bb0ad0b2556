from snaplambda.cli import main

main()
