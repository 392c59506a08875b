# contract.R: reading and validating the vocabulary the similarity step writes.

write_manifest <- function(contract) {
  folder <- tempfile("derived")
  dir.create(folder)
  jsonlite::write_json(list(options = list(), contract = contract),
                       file.path(folder, "manifest.json"), auto_unbox = TRUE)
  folder
}

valid_contract <- function() jsonlite::read_json(default_contract_path)

test_that("read_contract returns the manifest's contract with text vectors", {
  contract <- read_contract(write_manifest(valid_contract()))
  expect_equal(contract$nations, unlist(valid_contract()$nations))
  expect_equal(length(contract$foundations), 6)
  expect_equal(contract$human_mean_ids[[contract$nations[1]]],
               valid_contract()$human_mean_ids[[1]])
})

test_that("a missing manifest, contract or field is named with the manifest", {
  expect_error(read_contract(tempfile("nowhere")), "manifest.json not found")
  no_contract <- tempfile("derived")
  dir.create(no_contract)
  jsonlite::write_json(list(options = list(a = 1)), file.path(no_contract, "manifest.json"))
  expect_error(read_contract(no_contract), "manifest.json: no `contract`")
  without_nations <- valid_contract()
  without_nations$nations <- NULL
  folder <- write_manifest(without_nations)
  expect_error(read_contract(folder),
               paste0(file.path(folder, "manifest.json"), ": contract field `nations`: ",
                      "expected a value; it is missing"), fixed = TRUE)
})

test_that("wrong values are refused, naming the field", {
  cases <- list(
    list(field = "no_persona", value = list("a", "b"), message = "`no_persona`"),
    list(field = "foundations", value = list("a", "b"), message = "six foundations"),
    list(field = "human_mean_ids", value = list(Somewhere = "x", Else = "y"),
         message = "`human_mean_ids`: expected one entry for each of"),
    list(field = "language_of_nation", value = list("x", "y"), message = "named values"),
    list(field = "columns", value = list(1, 2), message = "`columns`: expected a list of text")
  )
  for (case in cases) {
    contract <- valid_contract()
    contract[[case$field]] <- case$value
    expect_error(read_contract(write_manifest(contract)), case$message, fixed = TRUE,
                 label = case$field)
  }
  reordered <- valid_contract()
  reordered$foundation_figure_order[[1]] <- "Something else"
  expect_error(read_contract(write_manifest(reordered)), "`foundation_figure_order`")
})

test_that("use_contract switches the vocabulary the analysis reads, and back", {
  contract <- default_contract()
  renamed <- contract
  renamed$nations <- c("A", "B")
  previous <- use_contract(renamed)
  expect_equal(nation_gap_label(), "A - B")
  use_contract(previous)
  expect_equal(nation_gap_label(), paste(contract$nations, collapse = " - "))
})

test_that("MFQ-2 item i belongs to foundation (i - 1) mod 6, in the figure's order", {
  foundations <- default_contract()$foundations
  units <- mfq2_foundation_of(c(1, 6, 7, 36))
  expect_equal(as.character(units), foundations[c(1, 6, 1, 6)])
  expect_equal(levels(units), default_contract()$foundation_figure_order)
})

test_that("keys a contract may lack have stated fallbacks; present ones are read", {
  old <- default_contract()
  expect_equal(nation_adjective("China", old), "China")
  expect_equal(nrow(study_models(old)), 0)
  expect_equal(study_origins(old), c("China", "USA"))
  new <- old
  new$nation_adjectives <- list(China = "Chinese", USA = "American", Japan = "Japanese")
  new$origins <- list("China", "USA", "Japan")
  new$models <- list(
    list(id = "m1", display_name = "M 1", origin = "China", maker = "Alibaba"),
    list(id = "m2", display_name = "M 2", origin = "Japan", maker = NULL)
  )
  expect_equal(nation_adjective(c("USA", "Japan", "Peru"), new),
               c("American", "Japanese", "Peru"))
  expect_equal(study_origins(new), c("China", "USA", "Japan"))
  expect_equal(study_makers(new), c(m1 = "Alibaba", m2 = NA))
  expect_equal(item_unit("mfq2"), "foundation")
  expect_equal(item_unit("other"), "item")
})
