using ControlNet.Hosting.Imaging;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace ControlNet.Server.Tests;

/// <summary>A fact that runs where Debian's chromium and chromium-driver are installed (.ci/run installs them).</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (!File.Exists(BrowserTests.Chromium) || !File.Exists(BrowserTests.Driver))
            Skip = "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver; .ci/run does this).";
    }
}

/// <summary>
/// The page at / in a real headless Chromium (Debian's, driven by Selenium through Debian's chromedriver; nothing is
/// downloaded): upload an image, preview its map, generate, see the image and the download link.
/// </summary>
public sealed class BrowserTests(ToyServerFixture fixture) : IClassFixture<ToyServerFixture>
{
    public const string Chromium = "/usr/bin/chromium", Driver = "/usr/bin/chromedriver";

    [BrowserFact]
    public void Upload_preview_the_map_generate_and_see_the_image()
    {
        var folder = Directory.CreateTempSubdirectory("controlnet-browser-").FullName;
        var upload = Path.Combine(folder, "square.png");
        ImageFile.SavePng(TestImages.Square(64), upload);
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--window-size=1400,900", $"--user-data-dir={Path.Combine(folder, "profile")}");
        using var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        using var driver = new ChromeDriver(service, options, TimeSpan.FromMinutes(2));
        try
        {
            var wait = new WebDriverWait(driver, TimeSpan.FromMinutes(4));
            driver.Navigate().GoToUrl(fixture.Server.Address);
            wait.Until(d => d.FindElements(By.CssSelector("#model option")).Count > 0);
            Assert.Contains("toy", driver.FindElement(By.Id("model-info")).Text);

            driver.FindElement(By.Id("file")).SendKeys(upload);
            driver.FindElement(By.CssSelector("#module option[value='canny']")).Click();
            driver.FindElement(By.Id("options")).SendKeys("detect-resolution=64");
            driver.FindElement(By.Id("preview-map")).Click();
            wait.Until(d => NaturalWidth(d, "map") > 0);
            Assert.Equal(64, NaturalWidth(driver, "map"));

            var steps = driver.FindElement(By.Id("steps"));
            steps.Clear();
            steps.SendKeys("8");
            driver.FindElement(By.Id("generate")).Click();
            wait.Until(d => d.FindElement(By.Id("download")).Displayed || d.FindElement(By.Id("error")).Text.Length > 0);
            Assert.Equal("", driver.FindElement(By.Id("error")).Text);
            wait.Until(d => NaturalWidth(d, "result") > 0 && d.FindElement(By.Id("result")).GetAttribute("src")!.Contains("/images/0.png"));
            Assert.Equal(32, NaturalWidth(driver, "result"));
            Assert.StartsWith("done", driver.FindElement(By.Id("status")).Text);

            // For the README: CONTROLNET_SCREENSHOT=path writes the page as a user sees it after a run.
            // The window grows to the page's whole height and scrolls to the top, so the picture is the whole page, uncut.
            if (Environment.GetEnvironmentVariable("CONTROLNET_SCREENSHOT") is { Length: > 0 } shot)
            {
                var js = (IJavaScriptExecutor)driver;
                var height = Convert.ToInt32(js.ExecuteScript("return Math.ceil(document.documentElement.scrollHeight);"));
                driver.Manage().Window.Size = new System.Drawing.Size(1400, Math.Max(1250, height + 16));   // the columns scroll inside a 100vh layout
                js.ExecuteScript("window.scrollTo(0, 0);");
                driver.GetScreenshot().SaveAsFile(shot);
            }
        }
        finally
        {
            driver.Quit();
            Directory.Delete(folder, recursive: true);
        }
    }

    static long NaturalWidth(IWebDriver driver, string id) =>
        Convert.ToInt64(((IJavaScriptExecutor)driver).ExecuteScript($"return document.getElementById('{id}').naturalWidth || 0;"));
}
